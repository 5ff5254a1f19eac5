"""Sign-in, sign-out, failed sign-in, lockout and password change become security events."""

import pytest
from django.urls import reverse

from auditlog import buffer
from auditlog.models import SecurityEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
A = SecurityEvent.Action


def _actions():
    buffer.flush()
    return list(SecurityEvent.objects.order_by("id").values_list("action", "user_id"))


def test_sign_in_and_sign_out_are_recorded(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": alice.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    client.post(reverse("accounts:logout"))
    assert _actions() == [(A.SIGN_IN, alice.pk), (A.SIGN_OUT, alice.pk)]
    event = SecurityEvent.objects.get(action=A.SIGN_IN)
    assert event.ip == "127.0.0.1"


def test_failed_sign_in_is_recorded_against_the_account_it_named(client, alice):
    client.post(
        reverse("accounts:login"),
        {"username": "ALICE@example.com", "password": "wrong password"},
    )
    buffer.flush()
    event = SecurityEvent.objects.get()
    assert event.action == A.SIGN_IN_FAILED
    assert event.user_id == alice.pk
    assert event.attempted_email == "ALICE@example.com"


def test_failed_sign_in_for_unknown_address_has_no_user(client):
    client.post(
        reverse("accounts:login"),
        {"username": "nobody@example.com", "password": "x" * 12},
    )
    assert _actions() == [(A.SIGN_IN_FAILED, None)]


def test_lockout_is_recorded(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(
            reverse("accounts:login"),
            {"username": alice.email, "password": "wrong password"},
        )
    actions = [a for a, _u in _actions()]
    assert A.LOCKED_OUT in actions
    assert actions.count(A.SIGN_IN_FAILED) >= settings.AXES_FAILURE_LIMIT


def test_password_change_is_recorded(alice):
    alice.set_password("a new long passphrase 42")
    alice.save()
    assert (A.PASSWORD_CHANGED, alice.pk) in _actions()


def test_saving_a_user_without_a_new_password_records_nothing(alice):
    alice.full_name = "Alice S."
    alice.save()
    assert _actions() == []


def test_new_account_is_not_a_password_change():
    from tests.factories import CustomerFactory

    CustomerFactory()
    assert _actions() == []
