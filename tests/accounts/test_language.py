"""Choosing a language saves it on the account: emails and the next sign-in follow it."""

import pytest
from django.core import mail

from accounts.models import User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _choose(client, language: str):
    return client.post("/i18n/setlang/", {"language": language, "next": "/accounts/"})


def test_signed_in_choice_is_saved_on_the_account(client, alice):
    assert alice.language == "th"
    client.force_login(alice)
    response = _choose(client, "en")
    assert response.status_code == 302
    assert response.cookies["onespace_language"].value == "en"
    alice.refresh_from_db()
    assert alice.language == "en"


def test_emails_follow_the_saved_choice(client, alice):
    client.force_login(alice)
    _choose(client, "en")
    client.logout()
    client.cookies.pop("onespace_language", None)
    client.post("/accounts/password/reset/", {"email": alice.email})
    assert mail.outbox[0].subject == "Reset your OneSpace password"


def test_unknown_language_changes_nothing(client, alice):
    client.force_login(alice)
    _choose(client, "fr")
    alice.refresh_from_db()
    assert alice.language == "th"


def test_choice_without_an_account_only_sets_the_cookie(client, alice):
    response = _choose(client, "en")
    assert response.cookies["onespace_language"].value == "en"
    assert User.objects.get(pk=alice.pk).language == "th"


def test_next_sign_in_follows_the_account_not_the_browser(client, alice):
    alice.language = "en"
    alice.save()
    client.cookies["onespace_language"] = "th"
    response = client.post(
        "/accounts/login/", {"username": alice.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies["onespace_language"].value == "en"
    page = client.get("/accounts/").content.decode()
    assert '<html lang="en">' in page


def test_profile_language_applies_to_the_pages_too(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/profile/",
        {
            "full_name": alice.full_name,
            "email": alice.email,
            "phone": "081 234 5678",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert response.cookies["onespace_language"].value == "en"
    assert '<html lang="en">' in client.get("/accounts/profile/").content.decode()
