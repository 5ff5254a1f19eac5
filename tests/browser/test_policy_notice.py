"""Journey: a scheduled notice is announced and accepted early; later the gate asks the rest."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from policy import current
from policy.models import Acceptance
from tests.factories import CustomerFactory, NoticeVersionFactory, version_one

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(browser, live_server, user):
    """A browser context carrying a session of ``user`` (signing in is the accounts journey)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="th-TH", base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


@pytest.fixture
def versions(db):
    v1 = version_one()
    now = timezone.now()
    v2 = NoticeVersionFactory(
        label="2",
        text_th=v1.text_th.replace("ทุก 3 เดือน", "ทุก 6 เดือน"),
        text_en=v1.text_en.replace("every 3 months", "every 6 months"),
        summary_th="เปลี่ยนรอบการเปลี่ยนรหัสผ่านเป็นทุก 6 เดือน",
        summary_en="Passwords are now changed every 6 months.",
        published_at=now,
        effective_at=now + timedelta(days=40),
    )
    current.clear()
    yield v1, v2
    current.clear()


def _customer(email, v1):
    customer = CustomerFactory(email=email)
    customer.date_joined = v1.effective_at + timedelta(days=1)
    customer.save(update_fields=["date_joined"])
    return customer


def test_scheduled_notice_is_announced_and_accepted_early_from_the_banner(
    browser, live_server, versions
):
    v1, v2 = versions
    early = _customer("early@example.com", v1)
    context = _signed_in(browser, live_server, early)
    page = context.new_page()

    page.goto("/privacy/")
    banner = page.locator(".notice-banner")
    assert banner.is_visible()
    assert "ฉบับที่ 2" in banner.inner_text()
    assert (
        banner.locator("a").first.get_attribute("href") == "/privacy/versions/1/diff/2/"
    )

    banner.locator("button[type=submit]").click()
    page.wait_for_url("**/privacy/")
    assert "ฉบับที่ 2" in page.locator(".messages").inner_text()
    assert page.locator(".notice-banner button").count() == 0
    record = Acceptance.objects.get(customer=early)
    assert (record.version_id, record.source) == (v2.pk, "banner")
    context.close()


def test_after_the_effective_date_an_unaccepted_customer_is_gated_and_continues(
    browser, live_server, versions
):
    v1, v2 = versions
    late = _customer("late@example.com", v1)
    with time_machine.travel(v2.effective_at + timedelta(minutes=5)):
        context = _signed_in(browser, live_server, late)
        page = context.new_page()
        # Nothing in the portal works until the customer accepts...
        page.goto("/accounts/")
        page.wait_for_url("**/privacy/gate/**")
        # ...and the gate remembers where they were going.
        page.goto("/accounts/profile/")
        page.wait_for_url("**/privacy/gate/?next=%2Faccounts%2Fprofile%2F")
        assert "เปลี่ยนรอบการเปลี่ยนรหัสผ่านเป็นทุก 6 เดือน" in page.content()
        assert page.locator(".notice-diff ins").first.inner_text().strip()

        page.locator("form[action='/privacy/accept/'] button[type=submit]").click()
        page.wait_for_url("**/accounts/profile/")
        assert page.url.endswith("/accounts/profile/")
        assert not page.url.count("gate")
        context.close()
    record = Acceptance.objects.get(customer=late)
    assert (record.version_id, record.source, record.fingerprint) == (
        v2.pk,
        "gate",
        v2.fingerprint,
    )
