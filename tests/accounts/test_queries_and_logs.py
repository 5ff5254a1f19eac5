import logging

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.conftest import signup_data

pytestmark = pytest.mark.django_db


def test_customer_home_page_query_count(signed_in, django_assert_num_queries):
    signed_in.get(reverse("accounts:home"))  # warm caches (content types, etc.)
    # Session and user; the page itself adds nothing.
    with django_assert_num_queries(2):
        response = signed_in.get(reverse("accounts:home"))
    assert response.status_code == 200


def test_logs_hold_no_password_token_or_phone(
    client, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    data = signup_data(phone="0898765432")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", data)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/verify/" in line)
    token = link.rstrip("/").rsplit("/", 1)[1]
    client.get(link[link.index("/accounts/") :])
    for _ in range(6):
        client.post(
            "/accounts/login/",
            {"username": data["email"], "password": "guess " + data["password1"]},
        )
    client.post("/accounts/password/reset/", {"email": data["email"]})
    text = caplog.text
    assert caplog.records  # something was logged, so the check means something
    for secret in [data["password1"], token, "898765432", "+66898765432"]:
        assert secret not in text


def test_request_log_lines_lose_link_tokens(settings):
    from accounts.log_redaction import RedactSecretLinks

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /accounts/verify/eyJ1IjoxfQ:1abc:xyz/ HTTP/1.1", "302", "0"),
        None,
    )
    assert RedactSecretLinks().filter(record)
    line = record.getMessage()
    assert "eyJ1IjoxfQ" not in line
    assert "/accounts/verify/…" in line
    reset = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "GET /accounts/password/reset/MQ/abc-123/",
        (),
        None,
    )
    RedactSecretLinks().filter(reset)
    assert "abc-123" not in reset.getMessage()
    assert "redact_links" in settings.LOGGING["handlers"]["console"]["filters"]
