import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.conftest import NEW_PASSWORD
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _reset_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body)[
        1
    ]


def test_reset_email_is_in_the_account_holders_language_with_html_part(client):
    user = CustomerFactory(email="en@example.com", language="en")
    # The interface is Thai, the account holder reads English.
    client.post(reverse("accounts:password-reset"), {"email": "EN@example.com"})
    message = mail.outbox[0]
    assert message.subject == "Reset your OneSpace password"
    assert message.to == [user.email]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Choose a new password" in html


def test_reset_sets_new_password_and_restarts_the_clock(client, alice):
    before = alice.password_changed_at
    client.post(reverse("accounts:password-reset"), {"email": alice.email})
    assert "รีเซ็ตรหัสผ่าน" in mail.outbox[0].subject
    form = client.get(_reset_path(mail.outbox[0]), follow=True)
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("accounts:password-reset-complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice.password_changed_at > before


def test_reset_for_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post(
        reverse("accounts:password-reset"), {"email": "nobody@example.com"}
    )
    assert response.url == reverse("accounts:password-reset-done")
    assert mail.outbox == []


def test_verification_email_has_text_and_html_parts(
    client, django_capture_on_commit_callbacks
):
    from tests.accounts.conftest import signup_data

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", signup_data())
    message = mail.outbox[0]
    assert "/accounts/verify/" in message.body
    assert "/accounts/verify/" in message.alternatives[0][0]


def test_staff_sign_in_goes_to_admin(client, support_agent):
    from tests.factories import TEST_PASSWORD

    response = client.post(
        "/accounts/login/",
        {"username": support_agent.email, "password": TEST_PASSWORD},
        follow=True,
    )
    chain = [url for url, _status in response.redirect_chain]
    # Staff pass the second factor before any page, admin included.
    assert chain[-1].startswith(reverse("accounts:second-factor"))
