"""A customer grants console access to the staff member on their ticket, sees the use, revokes."""

import uuid

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from auditlog import buffer, services
from auditlog.models import AccessGrant, AccessLog
from support.models import Ticket
from tests.factories import TEST_PASSWORD, CustomerFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, email):
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_customer_grants_console_access_to_the_staff_on_their_ticket_sees_the_use_and_revokes(
    page,
):
    customer = CustomerFactory(email="nid@example.com", full_name="Nid")
    agent = StaffFactory(email="agent@onespace.test", full_name="Private Name")
    agent.groups.add(Group.objects.get_or_create(name=roles.SUPPORT)[0])
    services.ingest_node_events([_event(customer, "create", "customer", customer.pk)])
    ticket = Ticket.objects.create(
        customer=customer,
        kind=Ticket.Kind.PROBLEM,
        subject="เครื่องบูตไม่ขึ้น",
        node_id="node-7f3a",
        assignee=agent,
    )
    _sign_in(page, customer.email)

    # The link the ticket page gives once support asked for access.
    page.goto(f"/activity/grants/new/?node_id=node-7f3a&ticket={ticket.reference}")
    assert page.locator("h1").inner_text() == "อนุญาตให้เข้าถึงโหนด"
    assert page.input_value("#id_node_id") == "node-7f3a"
    assert page.input_value("#id_who") == f"ticket:{ticket.pk}"
    staff_option = f"staff:{agent.pk}:{ticket.pk}"
    option_text = page.locator(f"#id_who option[value='{staff_option}']").inner_text()
    assert f"ฝ่ายบริการลูกค้า #{agent.pk}" in option_text
    assert "Private Name" not in page.content()
    page.select_option("#id_who", staff_option)
    page.check("input[name=actions][value=console_access]")
    page.fill("#id_hours", "12")
    page.fill("#id_reason", "ตรวจสอบปัญหาการบูตเครื่อง")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/activity/grants/")
    grant = AccessGrant.objects.get(customer=customer)
    assert (grant.staff, grant.actions, grant.is_active) == (
        agent,
        ["console_access"],
        True,
    )
    row = page.locator("#grants tr.grant").first
    assert "node-7f3a" in row.inner_text()
    assert f"ฝ่ายบริการลูกค้า #{agent.pk}" in row.inner_text()
    assert "เปิดคอนโซล" in row.inner_text()
    assert "ยังไม่มีการใช้" in page.locator("#grants tr.grant-uses").first.inner_text()

    # The control plane reports the agent opening the console: covered by the grant.
    result = services.ingest_node_events(
        [_event(customer, "console_access", "staff", agent.pk)]
    )
    assert result.violations == []
    page.reload()
    uses = page.locator("#grants tr.grant-uses").first.inner_text()
    assert "เปิดคอนโซล" in uses
    assert f"ฝ่ายบริการลูกค้า #{agent.pk}" in uses
    assert "Private Name" not in page.content()

    page.locator("#grants tr.grant").first.locator(
        "button", has_text="ยกเลิกการอนุญาต"
    ).click()
    page.wait_for_url("**/activity/grants/")
    assert "ยกเลิกแล้ว" in page.locator("#grants tr.grant").first.inner_text()
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    # After the revocation the same access is flagged.
    late = services.ingest_node_events(
        [_event(customer, "console_access", "staff", agent.pk)]
    )
    assert len(late.violations) == 1


def _event(customer, action, actor_type, actor_id):
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": timezone.now(),
        "node_id": "node-7f3a",
        "customer_id": customer.pk,
        "action": action,
        "actor_type": actor_type,
        "actor_id": str(actor_id),
        "source_ip": "203.0.113.7",
        "details": {},
    }


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
