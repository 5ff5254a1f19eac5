"""An export and "my data" never carry another person's data (PDPA s.30).

When a staff member reads a customer's record, the security event is about the customer
but its IP address and browser are the staff member's: the customer learns that someone
in a role looked, when and at what, never where from or with which browser.
"""

import json
import zipfile

import pytest
from django.test import RequestFactory
from django.urls import reverse

from auditlog import buffer
from auditlog.models import SecurityEvent
from policy.export import category_filename, write_export
from policy.registry import registry
from policy.signals import staff_read

pytestmark = pytest.mark.django_db

STAFF_IP = "192.0.2.77"
STAFF_BROWSER = "StaffBrowser/9.9 (secret workstation)"


@pytest.fixture
def staff_viewed_alice(support_agent, alice):
    buffer.clear()  # records left by earlier tests' requests are not this test's
    support_agent.full_name = "Somchai Staffmember"
    support_agent.save(update_fields=["full_name"])
    request = RequestFactory().get(
        "/admin/support/ticket/", REMOTE_ADDR=STAFF_IP, HTTP_USER_AGENT=STAFF_BROWSER
    )
    request.user = support_agent
    staff_read(request, subject_id=alice.pk, object_label="support.ticket:search")
    buffer.flush()
    event = SecurityEvent.objects.get(
        action=SecurityEvent.Action.PERSONAL_DATA_VIEWED, subject=alice
    )
    assert event.ip == STAFF_IP
    assert event.user_agent == STAFF_BROWSER
    return event


def test_export_says_a_role_looked_without_the_staff_address_or_browser(
    staff_viewed_alice, alice, support_agent, tmp_path
):
    path = tmp_path / "alice.zip"
    write_export(alice, path, language="en")
    with zipfile.ZipFile(path) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist()).decode()
        rows = json.loads(
            archive.read(category_filename(registry["auditlog-security-event"]))
        )
    for value in (
        STAFF_IP,
        "StaffBrowser",
        support_agent.email,
        support_agent.full_name,
    ):
        assert value not in everything, value
    [viewed] = [r for r in rows if r["action"] == "personal_data_viewed"]
    assert viewed["viewed_by"] == "Support"
    assert viewed["record"] == "support.ticket:search"
    assert viewed["occurred_at"]
    assert "ip" not in viewed
    assert "user_agent" not in viewed


def test_my_data_preview_shows_no_staff_address(client, staff_viewed_alice, alice):
    client.force_login(alice)
    response = client.get(reverse("policy:my-data"))
    assert response.status_code == 200
    body = response.content.decode()
    assert STAFF_IP not in body
    assert "StaffBrowser" not in body


def test_the_customers_own_events_keep_their_own_address(alice):
    from auditlog.privacy import SecurityEventData
    from auditlog.receivers import record_security_event

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.99")
    record_security_event(SecurityEvent.Action.SIGN_IN, request, user_id=alice.pk)
    buffer.flush()
    [row] = list(SecurityEventData.export(alice))
    assert row["ip"] == "203.0.113.99"
    assert "viewed_by" not in row
