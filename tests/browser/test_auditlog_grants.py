"""A customer follows a support link, grants staff access to a node, then revokes it."""

import uuid

import pytest
from django.utils import timezone

from auditlog import buffer, services
from auditlog.models import AccessGrant, AccessLog
from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, email):
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_customer_grants_access_from_a_ticket_link_and_revokes_it(page):
    customer = CustomerFactory(email="nid@example.com", full_name="Nid")
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "node-7f3a",
                "customer_id": customer.pk,
                "action": "create",
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
        ]
    )
    _sign_in(page, customer.email)

    page.goto("/activity/grants/new/?node_id=node-7f3a&ticket=T-2026-0042")
    assert page.locator("h1").inner_text() == "อนุญาตให้เข้าถึงโหนด"
    assert page.input_value("#id_ticket_reference") == "T-2026-0042"
    assert page.input_value("#id_node_id") == "node-7f3a"
    page.fill("#id_hours", "12")
    page.fill("#id_reason", "ตรวจสอบปัญหาการบูตเครื่อง")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/activity/grants/")
    row = page.locator("tbody tr").first
    assert "node-7f3a" in row.inner_text()
    assert "T-2026-0042" in row.inner_text()
    grant = AccessGrant.objects.get(customer=customer)
    assert grant.is_active

    row.locator("button", has_text="ยกเลิกการอนุญาต").click()
    page.wait_for_url("**/activity/grants/")
    assert "ยกเลิกแล้ว" in page.locator("tbody tr").first.inner_text()
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_activity_page_lists_node_events_and_the_access_is_logged(page):
    customer = CustomerFactory(email="som@example.com", full_name="Som")
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "node-b1",
                "customer_id": customer.pk,
                "action": action,
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
            for action in ("create", "reboot")
        ]
    )
    _sign_in(page, customer.email)
    page.click("nav.site-nav >> text=กิจกรรม")
    page.wait_for_url("**/activity/")
    events = page.locator("#node-events tbody tr")  # not the chart's table of days
    assert events.count() == 2
    page.select_option("#id_action", "reboot")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/activity/?*")
    assert events.count() == 1
    assert "รีบูต" in events.first.inner_text()
    buffer.flush()
    assert AccessLog.objects.filter(user=customer, path="/activity/").exists()
    assert (
        AccessLog.objects.filter(user=customer)
        .values_list("browser_family", flat=True)
        .first()
    )
