import ipaddress
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _fail(client, email="alice@example.com", **extra):
    return client.post(
        LOGIN, {"username": email, "password": "wrong password!"}, **extra
    )


def _succeed(client, email="alice@example.com", **extra):
    return client.post(LOGIN, {"username": email, "password": TEST_PASSWORD}, **extra)


def test_sign_in_by_email_in_any_letter_case(client, alice):
    response = _succeed(client, "ALICE@Example.com")
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    assert client.get(reverse("accounts:home")).status_code == 200


def test_wrong_password_shows_error_in_thai(client, alice):
    response = _fail(client)
    assert response.status_code == 200
    assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in response.content.decode()


def test_sign_out_needs_post(signed_in):
    assert signed_in.get("/accounts/logout/").status_code == 405
    signed_in.post("/accounts/logout/")
    assert signed_in.get(reverse("accounts:home")).status_code == 302


def test_five_failures_lock_the_pair_for_thirty_minutes(client, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(4):
            assert _fail(client).status_code == 200
        response = _fail(client)
        assert response.status_code == 429
        assert "ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป" in response.content.decode()
        # The right password does not help while locked.
        assert _succeed(client).status_code == 429
        # Another account from the same address is not locked.
        assert _fail(client, "bob@example.com").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert _succeed(client).status_code == 429
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert _succeed(client).status_code == 302


def test_failures_spread_beyond_fifteen_minutes_do_not_lock(client, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(4):
            _fail(client)
            traveller.shift(timedelta(minutes=4))
        # Failures at 0, 4, 8, 12 and 16 minutes: never five within 15 minutes.
        assert _fail(client).status_code == 200
        # ...but 4, 8, 12, 16 and now (18) are.
        traveller.shift(timedelta(minutes=2))
        assert _fail(client).status_code == 429


def test_lockout_is_per_address(client, alice):
    for _ in range(5):
        _fail(client, REMOTE_ADDR="203.0.113.10")
    assert _succeed(client, REMOTE_ADDR="203.0.113.10").status_code == 429
    assert _succeed(client, REMOTE_ADDR="203.0.113.11").status_code == 302


def test_forged_forwarded_for_from_untrusted_peer_does_not_change_the_key(
    client, alice, settings
):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    for n in range(5):
        _fail(
            client, REMOTE_ADDR="203.0.113.10", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "203.0.113.10"
    }
    response = _succeed(
        client, REMOTE_ADDR="203.0.113.10", HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert response.status_code == 429


def test_trusted_proxy_forwarded_for_is_the_key(client, alice, settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    for _ in range(5):
        _fail(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    blocked = _succeed(
        client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert blocked.status_code == 429
    other = _succeed(
        client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert other.status_code == 302


def test_staff_unlock_in_admin_lifts_the_lock(
    client, alice, staff_client, support_agent
):
    for _ in range(5):
        _fail(client)
    assert _succeed(client).status_code == 429
    admin = staff_client(support_agent)
    attempt = AccessAttempt.objects.get()
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin.post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _succeed(client).status_code == 302


def test_locked_page_in_english(client, alice, english):
    for _ in range(5):
        response = _fail(client)
    assert "Too many failed sign-ins" in response.content.decode()


def test_letter_case_does_not_dodge_the_lockout(client, alice):
    emails = ["alice@example.com", "ALICE@example.com", "Alice@Example.com"] * 2
    statuses = [_fail(client, email).status_code for email in emails[:5]]
    assert statuses == [200, 200, 200, 200, 429]
    assert _succeed(client, "alice@EXAMPLE.com").status_code == 429


def test_lockout_handler_refuses_other_lockout_parameters(settings):
    from accounts.checks import lockout_settings

    assert lockout_settings() == []
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    assert [error.id for error in lockout_settings()] == ["accounts.E001"]
