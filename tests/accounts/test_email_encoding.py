"""Emails are readable as sent: Thai text 8bit (never base64), links on SITE_URL."""

import io
import re

import pytest
from django.core import mail
from django.core.mail.backends.console import EmailBackend as ConsoleBackend

from tests.accounts.conftest import signup_data

pytestmark = pytest.mark.django_db


def _text_parts(raw: bytes) -> list[bytes]:
    """Each text part of a sent message as its headers and body bytes."""
    boundary = re.search(rb'boundary="([^"]+)"', raw)[1]
    return [
        part for part in raw.split(b"--" + boundary) if b"Content-Type: text/" in part
    ]


@pytest.fixture
def verification_mail(client, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://portal.example.co.th"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", signup_data(), HTTP_HOST="127.0.0.1")
    return mail.outbox[0]


def test_thai_text_parts_are_8bit_with_the_link_as_text(verification_mail):
    raw = verification_mail.message().as_bytes()
    parts = _text_parts(raw)
    assert len(parts) == 2  # text/plain and text/html
    for part in parts:
        assert b"Content-Transfer-Encoding: base64" not in part
        assert b"Content-Transfer-Encoding: 8bit" in part
        assert "ยืนยัน".encode() in part  # the Thai words themselves, not encoded
        assert b"https://portal.example.co.th/accounts/verify/" in part


def test_console_backend_prints_the_thai_message_and_its_link(verification_mail):
    stream = io.StringIO()
    ConsoleBackend(stream=stream).send_messages([verification_mail])
    printed = stream.getvalue()
    assert "ยืนยัน" in printed
    assert re.search(
        r"^https://portal\.example\.co\.th/accounts/verify/\S+/$", printed, re.M
    )


def test_long_line_falls_back_to_quoted_printable_not_base64():
    from accounts.emails import ReadableEmail

    message = ReadableEmail(
        "หัวเรื่อง", "ก" * 400 + "\n", "a@example.com", ["b@example.com"]
    )
    raw = message.message().as_bytes()
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    assert message.message().get_content() == "ก" * 400 + "\n"


def test_attachments_keep_base64():
    from accounts.emails import ReadableEmail

    message = ReadableEmail("หัวเรื่อง", "สวัสดี\n", "a@example.com", ["b@example.com"])
    message.attach("a.pdf", b"%PDF-1.7 \x00\xff", "application/pdf")
    raw = message.message().as_bytes()
    assert raw.count(b"Content-Transfer-Encoding: base64") == 1
    assert "สวัสดี".encode() in raw


def test_password_reset_link_uses_site_url_not_the_request_host(
    client, alice, settings
):
    settings.SITE_URL = "https://portal.example.co.th"
    client.post(
        "/accounts/password/reset/", {"email": alice.email}, HTTP_HOST="localhost"
    )
    raw = mail.outbox[0].message().as_bytes()
    assert b"https://portal.example.co.th/accounts/password/reset/" in raw
    assert b"://localhost" not in raw
    assert b"Content-Transfer-Encoding: base64" not in raw
