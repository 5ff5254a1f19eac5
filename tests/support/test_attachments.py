"""Attachments: checked by content, limited in size, stored privately, served only to owner and staff."""

from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from support import services
from support.models import Attachment, Ticket
from tests.support.conftest import EXE_BYTES, PDF_BYTES, PNG_BYTES, upload


def post_ticket(client, *files):
    return client.post(
        reverse("support:ticket-create"),
        {
            "kind": "problem",
            "subject": "Screenshot",
            "message": "See attached",
            "attachments": list(files),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("shot.png", PNG_BYTES, "image/png"),
        ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "image/jpeg"),
        ("bill.pdf", PDF_BYTES, "application/pdf"),
        ("boot.log", "เครื่องไม่บูต\nkernel panic\n".encode(), "text/plain"),
    ],
)
def test_allowed_types_are_stored_privately(client, alice, name, content, mime):
    client.force_login(alice)
    response = post_ticket(client, upload(name, content, "application/x-whatever"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    # The type comes from the content, not from what the browser claimed.
    assert attachment.content_type == mime
    assert attachment.size == len(content)
    storage = storages["private"]
    assert storage.open(attachment.stored_name).read() == content
    # Stored under a random name inside the private root, not the customer's name.
    assert name not in attachment.stored_name
    assert Path(storage.path(attachment.stored_name)).is_relative_to(
        Path(storage.location)
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("shot.png", PDF_BYTES),  # a PDF dressed up as a PNG
        ("shot.png", EXE_BYTES),  # a Windows executable named .png
        ("setup.exe", EXE_BYTES),
        ("notes.txt", EXE_BYTES),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("bill.pdf", PNG_BYTES),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 30),
    ],
)
def test_refused_types_store_nothing(client, alice, name, content):
    client.force_login(alice)
    response = post_ticket(client, upload(name, content, "image/png"))
    assert response.status_code == 200
    errors = response.context["form"].errors["attachments"]
    assert errors == [
        f"{name} is not an accepted file: attach PNG or JPEG images, PDF documents "
        "or plain text files whose name matches their content."
    ]
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not Path(storages["private"].location).exists() or not any(
        Path(storages["private"].location).rglob("*.*")
    )


def test_attachment_over_the_limit_is_refused(client, alice, settings):
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 1024
    client.force_login(alice)
    big = upload("big.txt", b"a" * 1025)
    response = post_ticket(client, big)
    assert response.context["form"].errors["attachments"] == [
        "big.txt is larger than 1.0\xa0KB."
    ]
    assert not Ticket.objects.exists()
    # Exactly at the limit is fine.
    response = post_ticket(client, upload("ok.txt", b"a" * 1024))
    assert response.status_code == 302
    assert Attachment.objects.get().size == 1024


def test_too_many_attachments_are_refused(client, alice, settings):
    settings.SUPPORT_ATTACHMENT_MAX_COUNT = 2
    client.force_login(alice)
    files = [upload(f"{n}.txt", b"hello") for n in range(3)]
    response = post_ticket(client, *files)
    assert response.context["form"].errors["attachments"] == ["Attach at most 2 files."]
    assert not Ticket.objects.exists()


def test_refused_type_error_in_thai(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("support:ticket-create"),
        {
            "kind": "problem",
            "subject": "s",
            "message": "m",
            "attachments": [upload("x.png", EXE_BYTES)],
        },
    )
    (error,) = response.context["form"].errors["attachments"]
    assert error.startswith("ไม่รับไฟล์ x.png")


@pytest.fixture
def alices_attachment(alice, file_ticket, png):
    ticket = file_ticket(alice, files=[png])
    return ticket.attachments.get()


def test_owner_downloads_attachment_with_safe_headers(client, alice, alices_attachment):
    client.force_login(alice)
    response = client.get(alices_attachment.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="screenshot.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-cache" in response["Cache-Control"]


def test_text_attachment_is_served_as_plain_text(client, alice, file_ticket):
    ticket = file_ticket(
        alice, files=[upload("page.txt", b"<html><script>alert(1)</script>")]
    )
    client.force_login(alice)
    response = client.get(ticket.attachments.get().get_absolute_url())
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")


def test_thai_file_name_is_encoded_in_disposition(client, alice, file_ticket):
    ticket = file_ticket(alice, files=[upload("ภาพหน้าจอ.png", PNG_BYTES)])
    client.force_login(alice)
    response = client.get(ticket.attachments.get().get_absolute_url())
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")


def test_other_customer_gets_404_for_attachment(client, bob, alices_attachment):
    client.force_login(bob)
    assert client.get(alices_attachment.get_absolute_url()).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, alices_attachment):
    response = client.get(alices_attachment.get_absolute_url())
    assert response.status_code == 302


def test_unknown_attachment_is_404(client, alice):
    client.force_login(alice)
    assert (
        client.get(reverse("support:attachment-download", args=[999])).status_code
        == 404
    )


def test_support_staff_with_second_factor_can_download(
    staff_client, support_agent, alices_attachment
):
    response = staff_client(support_agent).get(alices_attachment.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG_BYTES


def test_staff_without_second_factor_are_sent_to_verify(
    client, support_agent, alices_attachment
):
    client.force_login(support_agent)
    response = client.get(alices_attachment.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second-factor"))


def test_staff_without_support_permission_gets_404(
    staff_client, finance, alices_attachment
):
    response = staff_client(finance).get(alices_attachment.get_absolute_url())
    assert response.status_code == 404


def test_privacy_officer_downloads_only_privacy_request_files(
    staff_client, privacy_officer, alice, file_ticket, alices_attachment
):
    privacy_ticket = file_ticket(
        alice,
        kind="privacy",
        privacy_right="rectification",
        files=[upload("id.pdf", PDF_BYTES)],
    )
    client = staff_client(privacy_officer)
    ok = client.get(privacy_ticket.attachments.get().get_absolute_url())
    assert ok.status_code == 200
    assert client.get(alices_attachment.get_absolute_url()).status_code == 404


def test_attachment_of_erased_file_is_404(client, alice, alices_attachment):
    storages["private"].delete(alices_attachment.stored_name)
    client.force_login(alice)
    assert client.get(alices_attachment.get_absolute_url()).status_code == 404


def test_rejected_service_call_leaves_no_files(alice, file_ticket):
    ticket = file_ticket(alice)
    services.change_state(ticket, by=alice, state=Ticket.State.CLOSED)
    with pytest.raises(services.ValidationError):
        services.add_customer_reply(
            ticket, author=alice, body="late", files=[upload("a.txt", b"x")]
        )
    assert not Attachment.objects.exists()
