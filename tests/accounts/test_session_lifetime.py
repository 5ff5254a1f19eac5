"""Staff sessions end after 30 idle minutes and after 12 hours; customers keep theirs."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_staff_session_ends_after_30_idle_minutes(staff_client, support_agent):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = staff_client(support_agent)
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get("/admin/")
        assert response.status_code == 302
        # Signed out, not merely sent to the second factor again.
        assert "_auth_user_id" not in client.session


def test_staff_session_ends_after_12_hours_however_busy(staff_client, support_agent):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = staff_client(support_agent)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/admin/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = client.get("/admin/")
        assert _signed_out(response)
        assert "_auth_user_id" not in client.session
        page = client.get(response["Location"])
    assert "กรุณาเข้าสู่ระบบอีกครั้ง" in page.content.decode()


def test_staff_session_cookie_follows_the_idle_timeout(staff_client, support_agent):
    client = staff_client(support_agent)
    client.get("/admin/")
    assert client.session.get_expiry_age() == 30 * 60


def test_customer_session_is_unchanged_by_default(client, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(alice)
        assert client.get(reverse("accounts:profile")).status_code == 200
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert client.get(reverse("accounts:profile")).status_code == 200


def test_customer_limits_apply_when_set(client, alice, settings):
    settings.CUSTOMER_SESSION_IDLE_TIMEOUT = timedelta(minutes=60)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(alice)
        assert client.get(reverse("accounts:profile")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert _signed_out(client.get(reverse("accounts:profile")))


def test_staff_limits_are_settings(staff_client, support_agent, settings):
    settings.STAFF_SESSION_IDLE_TIMEOUT = timedelta(minutes=5)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = staff_client(support_agent)
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert client.get("/admin/").status_code == 302
        assert "_auth_user_id" not in client.session
