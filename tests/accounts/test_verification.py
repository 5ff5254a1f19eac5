import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tokens import make_email_token
from tests.accounts.conftest import signup_data
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _link_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/)", message.body)[1]


@pytest.fixture
def unverified():
    return CustomerFactory(email="new@example.com", email_verified_at=None)


def test_verification_link_verifies_and_leads_to_sign_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", signup_data())
    response = client.get(_link_path(mail.outbox[0]))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert User.objects.get().email_verified_at is not None


def test_expired_link_is_refused_and_changes_nothing(client, unverified):
    token = make_email_token(unverified, unverified.email)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = client.get(reverse("accounts:verify-email", args=[token]))
    assert response.status_code == 400
    assert "ลิงก์หมดอายุแล้ว" in response.content.decode()
    unverified.refresh_from_db()
    assert unverified.email_verified_at is None


def test_link_still_works_just_before_expiry(client, unverified):
    token = make_email_token(unverified, unverified.email)
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23)):
        client.get(reverse("accounts:verify-email", args=[token]))
    unverified.refresh_from_db()
    assert unverified.email_verified_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "not-a-token",
    ],
)
def test_tampered_link_is_refused_in_english_too(client, unverified, mangle, english):
    token = mangle(make_email_token(unverified, unverified.email))
    response = client.get(reverse("accounts:verify-email", args=[token]))
    assert response.status_code == 400
    assert "The link is not valid" in response.content.decode()
    unverified.refresh_from_db()
    assert unverified.email_verified_at is None


def test_unverified_account_can_sign_in_but_reaches_only_the_verification_page(
    client, unverified, django_capture_on_commit_callbacks
):
    client.force_login(unverified)
    response = client.get(reverse("accounts:home"))
    assert response.url == reverse("accounts:verification-pending")
    assert client.get(reverse("accounts:profile")).url == reverse(
        "accounts:verification-pending"
    )
    page = client.get(reverse("accounts:verification-pending"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:verification-pending"))
    assert mail.outbox[0].to == [unverified.email]
    client.get(_link_path(mail.outbox[0]))
    assert client.get(reverse("accounts:home")).status_code == 200
