"""Every staff path to customers' personal data needs the second factor and is logged.

A staff member with only a password is sent to the second factor on every page of the
portal and admin; with it, each read of a customer's data outside admin's record page
(document, PDF, attachment, log and acceptance exports, searches by email address)
leaves a staff-read event that the customer sees under /activity/.
"""

import csv
import io
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from auditlog import buffer
from auditlog import roles as auditlog_roles
from auditlog import services as auditlog_services
from auditlog.models import SecurityEvent
from policy import services as policy_services
from policy.models import DataExport
from support import services as support_services
from support.models import Ticket
from tests.factories import StaffFactory, version_one
from tests.support.conftest import PNG_BYTES, upload

pytestmark = pytest.mark.django_db

SECOND_FACTOR = "/accounts/staff/second-factor/"

# Pages a signed-in staff member reaches before the second factor: getting through
# the gates themselves, signing out, the language switch and the health check.
OPEN_TO_UNVERIFIED_STAFF = {
    "accounts:second-factor",
    "accounts:logout",
    "accounts:password-expired",
    "accounts:verification-pending",
    "accounts:verify-email",
    "set_language",
    "healthz",
}


@pytest.fixture(autouse=True)
def _clean_buffer():
    auditlog_roles.grant_group_permissions()
    buffer.clear()
    yield
    buffer.clear()


@pytest.fixture
def root(db):
    return StaffFactory(email="root@onespace.test", is_superuser=True)


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}{entry.namespace}:"
            yield from _patterns(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield name, prefix + str(entry.pattern)


def _example_path(route: str) -> str:
    """A concrete path for a route: every converter filled with a plausible value."""
    import re

    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(?:str|slug|path):\w+>", "x", path)
    path = re.sub(r"<\w+>", "x", path)
    # admin's regex routes: "^(?P<app_label>auditlog)/$" and the like.
    path = re.sub(r"\(\?P<\w+>([\w|]+)\)", lambda m: m[1].split("|")[0], path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "")


def _every_route():
    seen = set()
    for name, route in _patterns(get_resolver()):
        path = _example_path(route)
        if name in OPEN_TO_UNVERIFIED_STAFF or path in seen:
            continue
        seen.add(path)
        yield path


def test_staff_with_a_password_only_reach_no_page_but_the_second_factor(
    client, root, finance
):
    """The sweep: every route of the project, as a superuser and as finance."""
    for user in (root, finance):
        client.force_login(user)
        for path in _every_route():
            response = client.get(path)
            assert response.status_code in (302, 403), path
            if response.status_code == 302:
                assert response["Location"].startswith(SECOND_FACTOR), path


# --- One test per path: refused without, works with, and the customer sees it. -------


def _staff_read_events(subject):
    buffer.flush()
    return list(
        SecurityEvent.objects.filter(
            action=SecurityEvent.Action.PERSONAL_DATA_VIEWED, subject=subject
        )
    )


def _refused_then_logged(client, staff_client, staff, subject, path, data=None):
    """GET ``path`` with a password only (sent to verify), then with the second factor."""
    client.force_login(staff)
    refused = client.get(path, data or {})
    assert refused.status_code == 302
    assert refused["Location"].startswith(SECOND_FACTOR)
    assert _staff_read_events(subject) == []

    response = staff_client(staff).get(path, data or {})
    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    events = _staff_read_events(subject)
    assert events, f"no staff-read event for {path}"
    assert all(event.user_id == staff.pk for event in events)
    return body, events


def test_attachment_download(client, staff_client, support_agent, alice):
    ticket = support_services.file_ticket(
        alice,
        kind=Ticket.Kind.PROBLEM,
        subject="Node will not boot",
        message="Screenshot attached.",
        files=[upload("screen.png", PNG_BYTES, "image/png")],
    )
    attachment = ticket.attachments.get()
    body, events = _refused_then_logged(
        client, staff_client, support_agent, alice, attachment.get_absolute_url()
    )
    assert body == PNG_BYTES
    assert events[0].object_label == f"support.attachment:{attachment.pk}"


def _access_row(user, path="/billing/"):
    buffer.record(
        "access",
        {
            "occurred_at": timezone.now(),
            "user_id": user.pk,
            "ip": "192.0.2.10",
            "user_agent": "Mozilla/5.0",
            "method": "GET",
            "path": path,
            "status": 200,
            "duration_ms": 1,
        },
    )
    buffer.flush()


def test_access_log_csv_export(client, staff_client, auditor, alice, bob):
    _access_row(alice)
    _access_row(bob)
    body, events = _refused_then_logged(
        client, staff_client, auditor, alice, "/admin/auditlog/accesslog/export.csv"
    )
    assert alice.email in body.decode()
    assert events[0].object_label == "auditlog.accesslog:export"
    assert _staff_read_events(bob), "every customer in the export sees it"


def test_security_event_csv_export(client, staff_client, auditor, alice):
    buffer.record(
        "security",
        {
            "occurred_at": timezone.now(),
            "action": SecurityEvent.Action.SIGN_IN,
            "user_id": alice.pk,
            "attempted_email": "",
            "ip": "192.0.2.10",
            "user_agent": "Mozilla/5.0",
            "subject_id": None,
            "object_label": "",
        },
    )
    buffer.flush()
    _refused_then_logged(
        client, staff_client, auditor, alice, "/admin/auditlog/securityevent/export.csv"
    )


def _node_of(customer):
    auditlog_services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "node-1",
                "customer_id": customer.pk,
                "action": "create",
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
        ]
    )


def test_node_event_csv_export(client, staff_client, auditor, alice):
    _node_of(alice)
    _refused_then_logged(
        client, staff_client, auditor, alice, "/admin/auditlog/nodeevent/export.csv"
    )


def test_access_grant_csv_export(client, staff_client, privacy_officer, alice):
    _node_of(alice)
    auditlog_services.grant_access(
        alice,
        node_id="node-1",
        reason="Look at the boot log",
        hours=2,
        staff=privacy_officer,
    )
    _refused_then_logged(
        client,
        staff_client,
        privacy_officer,
        alice,
        "/admin/auditlog/accessgrant/export.csv",
    )


def test_log_search_by_email(client, staff_client, auditor, alice):
    _access_row(alice)
    body, events = _refused_then_logged(
        client,
        staff_client,
        auditor,
        alice,
        "/admin/auditlog/accesslog/",
        {"q": alice.email},
    )
    assert events[0].object_label == "auditlog.accesslog:search"


def test_acceptance_csv_export(client, staff_client, privacy_officer, alice, rf):
    version = version_one()
    policy_services.accept_notice(
        alice, version=version, source="signup", request=rf.post("/")
    )
    body, events = _refused_then_logged(
        client,
        staff_client,
        privacy_officer,
        alice,
        reverse("admin:policy_noticeversion_export", args=[version.pk]),
    )
    assert str(alice.pk) in body.decode()
    assert events[0].object_label == "policy.acceptance:export"


def test_acceptance_search(client, staff_client, privacy_officer, alice, rf):
    policy_services.accept_notice(
        alice, version=version_one(), source="signup", request=rf.post("/")
    )
    body, events = _refused_then_logged(
        client,
        staff_client,
        privacy_officer,
        alice,
        reverse("admin:policy_acceptance_changelist"),
        {"q": alice.email},
    )
    assert events[0].object_label == "policy.acceptance:search"


def test_data_export_search(client, staff_client, privacy_officer, alice):
    DataExport.objects.create(customer=alice)
    _body, events = _refused_then_logged(
        client,
        staff_client,
        privacy_officer,
        alice,
        reverse("admin:policy_dataexport_changelist"),
        {"q": alice.email},
    )
    assert events[0].object_label == "policy.dataexport:search"


def test_the_customer_sees_the_staff_read_under_activity(
    client, staff_client, auditor, alice
):
    _access_row(alice)
    staff_client(auditor).get("/admin/auditlog/accesslog/export.csv").getvalue()
    buffer.flush()
    client.force_login(alice)
    response = client.get(
        reverse("auditlog:security-event-list"), {"action": "personal_data_viewed"}
    )
    assert len(response.context["page"]) == 1


def test_customers_reading_their_own_data_leave_no_staff_read(client, alice):
    """Customers reading their own data leave no staff-read event."""
    client.force_login(alice)
    client.get(reverse("auditlog:security-event-list"))
    assert _staff_read_events(alice) == []


FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=cmd|" /C calc"!A0']


def test_csv_export_cells_never_start_a_formula(staff_client, auditor, alice):
    for agent in FORMULAS:
        buffer.record(
            "access",
            {
                "occurred_at": timezone.now(),
                "user_id": alice.pk,
                "ip": "192.0.2.10",
                "user_agent": agent,
                "method": "GET",
                "path": "/",
                "status": 200,
                "duration_ms": 1,
            },
        )
    buffer.flush()
    response = staff_client(auditor).get("/admin/auditlog/accesslog/export.csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode(), newline="")))
    column = rows[0].index("user_agent")
    agents = {row[column] for row in rows[1:]}
    assert agents == {"'" + agent for agent in FORMULAS}


def test_acceptance_csv_cells_never_start_a_formula(
    staff_client, privacy_officer, alice, rf
):
    version = version_one()
    request = rf.post("/", HTTP_USER_AGENT='=HYPERLINK("http://x")')
    policy_services.accept_notice(
        alice, version=version, source="signup", request=request
    )
    response = staff_client(privacy_officer).get(
        reverse("admin:policy_noticeversion_export", args=[version.pk])
    )
    rows = list(csv.reader(io.StringIO(response.getvalue().decode(), newline="")))
    assert rows[1][-1] == '\'=HYPERLINK("http://x")'
