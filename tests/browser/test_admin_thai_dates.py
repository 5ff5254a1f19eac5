"""The Thai admin in a real browser: BE years in the date picker, log lists fit 1280 px."""

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from auditlog import buffer, services
from billing.models import VatRate
from tests.factories import CustomerFactory, StaffFactory

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


def test_date_picker_writes_and_reads_buddhist_era_dates(page, live_server):
    superuser = StaffFactory(email="root@onespace.test", is_superuser=True)
    _sign_in_staff(page, live_server, superuser)
    page.goto("/admin/billing/vatrate/add/")
    today = page.evaluate(
        "() => { const d = window.CalendarNamespace.serverToday();"
        " return [d.getDate(), d.getMonth() + 1, d.getFullYear()]; }"
    )
    day, month, year = today
    valid_from = page.locator("#id_valid_from")
    # "Today" beside the input writes today's date with the BE year.
    page.locator(".datetimeshortcuts a", has_text="วันนี้").first.click()
    assert valid_from.input_value() == f"{day:02d}/{month:02d}/{year + 543}"

    # A BE date typed in the input opens the calendar at its month and year ...
    valid_from.fill("15/03/2568")
    page.locator("#calendarlink0").click()
    caption = page.locator("#calendarbox0 caption")
    assert caption.inner_text() == "มีนาคม 2568"
    # ... and a day picked there is written back in BE.
    page.locator("#calendarbox0 td a", has_text="20").first.click()
    assert valid_from.input_value() == "20/03/2568"

    page.locator("#id_rate").fill("7")
    page.locator("input[name=_save]").click()
    page.locator("#result_list").wait_for()
    rate = VatRate.objects.get()
    assert rate.valid_from == datetime.date(2025, 3, 20)  # kept in CE
    page.goto(f"/admin/billing/vatrate/{rate.pk}/change/")
    assert page.locator("#id_valid_from").input_value() == "20/03/2568"


def _violation(customer) -> None:
    """A staff member opened the customer's node console without a grant."""
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "node-with-a-rather-long-identifier-0001",
                "customer_id": customer.pk,
                "action": "console_access",
                "actor_type": "staff",
                "actor_id": "staff-member-with-a-long-id@onespace.co.th",
                "source_ip": "2001:db8:85a3:1234:5678:8a2e:370:7334",
                "details": {},
            }
        ]
    )
    buffer.clear()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auditlog/nodeevent/",
        "/admin/auditlog/accesslog/",
        "/admin/auditlog/securityevent/",
    ],
)
def test_log_lists_fit_1280_px_with_the_violation_column_visible(
    page, live_server, url
):
    superuser = StaffFactory(email="root@onespace.test", is_superuser=True)
    _violation(CustomerFactory(email="customer-with-a-long-address@example.co.th"))
    Client().post(  # a failed sign-in: a security event with the address typed
        "/accounts/login/",
        {"username": "someone-who-typed-a-long-address@example.co.th", "password": "x"},
    )
    _sign_in_staff(page, live_server, superuser)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/admin/")  # an access log row
    buffer.flush()
    page.goto(url)
    page.locator("#result_list").wait_for()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    table_right = page.evaluate(
        "() => document.querySelector('#result_list').getBoundingClientRect().right"
    )
    assert table_right <= 1280
    if "nodeevent" in url:
        header = page.locator("#result_list th.column-is_violation")
        box = header.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 1280
