"""The Thai admin's date picker shows Buddhist-era years, in a real browser."""

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_staff(page, live_server, user) -> None:
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )


def test_date_picker_caption_is_buddhist_era(page, live_server):
    superuser = StaffFactory(email="root@onespace.test", is_superuser=True)
    _sign_in_staff(page, live_server, superuser)
    page.goto("/admin/billing/vatrate/add/")
    page.locator("#calendarlink0").click()  # the calendar icon of "valid from"
    caption = page.locator("#calendarbox0 caption")
    caption.wait_for()
    year = page.evaluate("() => window.CalendarNamespace.serverToday().getFullYear()")
    assert caption.inner_text().endswith(f" {year + 543}")
