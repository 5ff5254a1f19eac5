"""Break-glass access (issue 17): declared by Security auditors only, told at once, reviewed."""

import uuid
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from auditlog import break_glass, services
from auditlog import roles as auditlog_roles
from auditlog.models import (
    BreakGlassAccess,
    BreakGlassReview,
    BreakGlassUse,
    Disclosure,
    NodeEvent,
)
from policy import registry as registry_module
from policy.history import record_version
from policy.registry import holdings
from policy.tasks import run_daily_maintenance
from tests.auditlog.conftest import make_event
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/auditlog/breakglassaccess/add/"
REVIEW_ADD = "/admin/auditlog/breakglassreview/add/"
CHECK = "/api/v1/access-grants/check"


@pytest.fixture(autouse=True)
def _groups_have_permissions(db):
    auditlog_roles.grant_group_permissions()


def _declaration(customer, **overrides):
    data = {
        "customer_email": customer.email,
        "node_id": "node-1",
        "reason_kind": "incident",
        "reason": "Ransomware spreading from this node to the platform",
        "disclosure": "",
        "hours": "2",
    }
    data.update(overrides)
    return data


def _order(officer, customer, *, restricted_until=None):
    disclosure = Disclosure.objects.create(
        authority="Criminal Court",
        legal_basis="Court order 77/2569",
        requested_on=date(2026, 11, 1),
        categories=["auditlog-node-event"],
        approved_by=officer,
        disclosed_at=timezone.now(),
        is_restricted=restricted_until is not None,
        restriction_reason="Court order forbids telling" if restricted_until else "",
        restricted_until=restricted_until,
    )
    disclosure.customers.set([customer])
    return disclosure


def _declare(auditor, customer, **overrides):
    values = {
        "customer": customer,
        "node_id": "node-1",
        "reason_kind": "incident",
        "reason": "Ransomware",
        "hours": 2,
    }
    values.update(overrides)
    return break_glass.declare(auditor, **values)


def _staff_event(staff, customer, *, at=None, action="console_access"):
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": at or timezone.now(),
        "node_id": "node-1",
        "customer_id": customer.pk,
        "action": action,
        "actor_type": "staff",
        "actor_id": str(staff.pk),
        "source_ip": "10.0.0.5",
        "details": {},
    }


def _subjects(outbox):
    return [(m.to, m.subject) for m in outbox]


# --- Who may declare ------------------------------------------------------------------


def test_security_auditor_declares_in_admin_and_officers_and_customer_hear_at_once(
    staff_client,
    auditor,
    privacy_officer,
    alice,
    alice_node,
    django_capture_on_commit_callbacks,
):
    client = staff_client(auditor)
    assert client.get(ADD).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, _declaration(alice))
    assert response.status_code == 302, response.content.decode()[:2000]
    access = BreakGlassAccess.objects.get()
    assert access.staff == auditor
    assert access.customer_id == alice.pk
    assert access.ends_at - access.starts_at == timedelta(hours=2)
    to = [m.to for m in mail.outbox]
    assert [privacy_officer.email] in to
    assert [alice.email] in to
    officer_mail = mail.outbox[to.index([privacy_officer.email])]
    assert "node-1" in officer_mail.body
    assert auditor.email in officer_mail.body
    customer_mail = mail.outbox[to.index([alice.email])]
    assert "node-1" in customer_mail.body
    assert "ฉุกเฉิน" in customer_mail.subject  # Thai, the customer's language
    # The customer hears the reason kind, never the auditor's name or address.
    assert auditor.email not in customer_mail.body
    access.refresh_from_db()
    assert access.officers_notified_at
    assert access.customer_notified_at


@pytest.mark.parametrize("persona", ["support_agent", "privacy_officer", "superuser"])
def test_only_security_auditors_may_declare(
    request, staff_client, alice, alice_node, persona
):
    if persona == "superuser":
        user = StaffFactory(email="root@onespace.test", is_superuser=True)
    else:
        user = request.getfixturevalue(persona)
    client = staff_client(user)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, _declaration(alice)).status_code == 403
    assert not BreakGlassAccess.objects.exists()
    with pytest.raises(PermissionDenied):
        _declare(user, alice)
    assert not BreakGlassAccess.objects.exists()


def test_declaring_needs_the_second_factor(auditor, alice, alice_node):
    client = Client()
    client.force_login(auditor)  # password only, no verified TOTP device
    response = client.post(ADD, _declaration(alice))
    assert response.status_code == 302
    assert "second-factor" in response["Location"]
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": "5"}, "hours"),
        ({"hours": "0"}, "hours"),
        ({"node_id": "node-of-bob"}, "node_id"),
        ({"reason_kind": "order"}, "disclosure"),
        ({"reason": "a\x00b"}, "reason"),
        ({"customer_email": "nobody@onespace.test"}, "customer_email"),
    ],
)
def test_bad_declarations_are_refused_with_a_field_error(
    staff_client, auditor, alice, alice_node, overrides, field
):
    response = staff_client(auditor).post(ADD, _declaration(alice, **overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert (field or "__all__") in errors
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize("reason", ["a\x00b", "a\ud800b"])
def test_hostile_text_is_refused_by_the_service(auditor, alice, alice_node, reason):
    with pytest.raises(ValidationError) as error:
        _declare(auditor, alice, reason=reason)
    assert "reason" in error.value.message_dict
    assert not BreakGlassAccess.objects.exists()


def test_an_order_names_a_disclosure_of_this_customer(
    auditor, privacy_officer, alice, bob, alice_node
):
    of_bob = _order(privacy_officer, bob)
    with pytest.raises(ValidationError) as error:
        _declare(auditor, alice, reason_kind="order", disclosure=of_bob)
    assert "disclosure" in error.value.message_dict
    access = _declare(
        auditor, alice, reason_kind="order", disclosure=_order(privacy_officer, alice)
    )
    assert access.disclosure.customers.get() == alice


# --- Ingest ---------------------------------------------------------------------------


def test_staff_console_access_under_break_glass_is_flagged_not_a_violation(
    node_token, auditor, privacy_officer, alice, alice_node,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    access = _declare(auditor, alice)
    mail.outbox.clear()
    event = make_event(
        alice, action="console_access", actor={"type": "staff", "id": str(auditor.pk)}
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {node_token}")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/node-events/", [event], format="json")
    assert response.json()["violations"] == []
    stored = NodeEvent.objects.get(event_id=event["event_id"])
    assert stored.is_violation is False
    use = BreakGlassUse.objects.get()
    assert (use.access, str(use.event_id)) == (access, event["event_id"])
    # The officers hear of the use at once, as break-glass, not as a violation.
    assert [m.to for m in mail.outbox] == [[privacy_officer.email]]
    assert event["event_id"] in mail.outbox[0].body
    assert "break-glass" in mail.outbox[0].subject or "break-glass" in (
        mail.outbox[0].body
    )


@pytest.mark.parametrize("when", ["before", "after"])
def test_staff_access_outside_the_window_is_a_violation(
    auditor, alice, alice_node, when
):
    access = _declare(auditor, alice)
    at = (
        access.starts_at - timedelta(minutes=1)
        if when == "before"
        else access.ends_at + timedelta(seconds=1)
    )
    result = services.ingest_node_events([_staff_event(auditor, alice, at=at)])
    assert len(result.violations) == 1
    assert NodeEvent.objects.get(actor_type="staff").is_violation is True
    assert not BreakGlassUse.objects.exists()


def test_break_glass_covers_only_the_declaring_staff_member_and_node(
    auditor, support_agent, alice, alice_node
):
    _declare(auditor, alice)
    other_staff = _staff_event(support_agent, alice)
    other_node = {**_staff_event(auditor, alice), "node_id": "node-2"}
    own = _staff_event(auditor, alice)
    result = services.ingest_node_events([other_staff, other_node, own])
    assert set(result.violations) == {other_staff["event_id"], other_node["event_id"]}
    assert result.break_glass.keys() == {own["event_id"]}


# --- Access check ---------------------------------------------------------------------


def test_access_check_permits_break_glass_with_its_marker_in_two_queries(
    check_token, auditor, alice, alice_node
):
    access = _declare(auditor, alice)
    with CaptureQueriesContext(connection) as queries:
        found = services.check_access("node-1", auditor.pk)
    assert len(queries) <= 2
    assert isinstance(found, break_glass.Emergency)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {check_token}")
    body = client.get(CHECK, {"node_id": "node-1", "staff_id": auditor.pk}).json()
    assert body["permitted"] is True
    assert body["grant"] is None
    assert body["break_glass"]["id"] == access.pk
    assert body["break_glass"]["reason_kind"] == "incident"
    other = client.get(CHECK, {"node_id": "node-2", "staff_id": auditor.pk}).json()
    assert other == {"permitted": False, "grant": None, "break_glass": None}
    # A grant still wins, in the same two queries.
    grant = services.grant_access(
        alice, node_id="node-1", reason="Fix", hours=1, staff=auditor
    )
    with CaptureQueriesContext(connection) as queries:
        assert services.check_access("node-1", auditor.pk) == grant
    assert len(queries) <= 2


def test_access_check_refuses_break_glass_after_the_window(auditor, alice, alice_node):
    access = _declare(auditor, alice)
    later = access.ends_at + timedelta(seconds=1)
    assert services.check_access("node-1", auditor.pk, at=later) is None


def test_access_check_refuses_break_glass_once_the_role_is_gone(
    auditor, alice, alice_node
):
    _declare(auditor, alice)
    assert services.check_access("node-1", auditor.pk) is not None
    auditor.groups.clear()
    assert services.check_access("node-1", auditor.pk) is None


@pytest.mark.parametrize("hours", [0, 5])
def test_declaring_is_bounded_to_four_hours(auditor, alice, alice_node, hours):
    with pytest.raises(ValidationError) as error:
        _declare(auditor, alice, hours=hours)
    assert "hours" in error.value.message_dict
    assert not BreakGlassAccess.objects.exists()


# --- The customer ---------------------------------------------------------------------


def test_customer_sees_the_break_glass_access_and_its_use(
    client, auditor, alice, alice_node
):
    _declare(auditor, alice)
    services.ingest_node_events([_staff_event(auditor, alice)])
    client.force_login(alice)
    page = client.get("/activity/").content.decode()
    assert 'id="break-glass"' in page
    assert "break-glass" in page.split('id="node-events"')[1]


def test_restricted_order_is_neither_shown_nor_emailed_until_the_restriction_ends(
    client, auditor, privacy_officer, alice, alice_node,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    today = timezone.localdate()
    order = _order(privacy_officer, alice, restricted_until=today + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        access = _declare(auditor, alice, reason_kind="order", disclosure=order)
        services.ingest_node_events([_staff_event(auditor, alice)])
    # The officers are told; the customer is not.
    assert alice.email not in [address for m in mail.outbox for address in m.to]
    assert privacy_officer.email in [address for m in mail.outbox for address in m.to]
    client.force_login(alice)
    page = client.get("/activity/").content.decode()
    assert 'id="break-glass"' not in page
    # Only the node's creation: the console use under the order is left out.
    assert _rows(page) == 1
    assert break_glass.tell_customers(today) == 0
    # The restriction ends: the daily maintenance tells the customer, once.
    order.restricted_until = today - timedelta(days=1)
    order.save()
    record_version(order, by=privacy_officer, reason="The restriction ended")
    mail.outbox.clear()
    run_daily_maintenance.call()
    assert [m.to for m in mail.outbox if m.to == [alice.email]] == [[alice.email]]
    assert break_glass.tell_customers() == 0
    access.refresh_from_db()
    assert access.customer_notified_at is not None
    page = client.get("/activity/").content.decode()
    assert 'id="break-glass"' in page
    assert _rows(page) == 2
    assert "break-glass" in page.split('id="node-events"')[1]


def _rows(page):
    table = page.split('id="node-events"')[1]
    return table.split("<tbody>")[1].split("</tbody>")[0].count("<tr")


def test_customer_export_leaves_out_restricted_break_glass(
    client, auditor, privacy_officer, alice, alice_node
):
    from auditlog.privacy import BreakGlassAccessData, NodeEventData

    order = _order(
        privacy_officer, alice, restricted_until=timezone.localdate() + timedelta(1)
    )
    _declare(auditor, alice, reason_kind="order", disclosure=order)
    services.ingest_node_events([_staff_event(auditor, alice)])
    assert list(BreakGlassAccessData.export(alice)) == []
    # Neither the export nor the activity chart shows the staff action.
    assert [row["action"] for row in NodeEventData.export(alice)] == ["create"]
    client.force_login(alice)
    chart = client.get("/activity/").context["chart"]
    assert sum(chart.series[0].values) == 1
    # Nor the "My data" page, whose queries are compiled once for every customer.
    registry_module._PARTS.clear()
    holdings(CustomerFactory())  # compiled for someone else first
    counts = {row["category"].key: row["count"] for row in holdings(alice)}
    assert (counts[BreakGlassAccessData.key], counts[NodeEventData.key]) == (0, 1)
    _declare(auditor, alice)
    assert len(list(BreakGlassAccessData.export(alice))) == 1
    counts = {row["category"].key: row["count"] for row in holdings(alice)}
    assert counts[BreakGlassAccessData.key] == 1


# --- Review ---------------------------------------------------------------------------


def test_privacy_officer_reviews_and_the_review_is_recorded_and_kept(
    staff_client, auditor, privacy_officer, alice, alice_node
):
    access = _declare(auditor, alice)
    client = staff_client(privacy_officer)
    listing = client.get("/admin/auditlog/breakglassaccess/?review=no")
    assert listing.status_code == 200
    assert "(1)" in listing.content.decode()
    assert listing.context["cl"].result_count == 1
    assert client.get(f"{REVIEW_ADD}?access={access.pk}").status_code == 200
    response = client.post(
        REVIEW_ADD,
        {"access": access.pk, "outcome": "escalated", "note": "Scope too wide"},
    )
    assert response.status_code == 302
    review = BreakGlassReview.objects.get()
    assert (review.reviewer, review.outcome, review.access) == (
        privacy_officer,
        "escalated",
        access,
    )
    assert review.reviewed_at is not None
    assert not BreakGlassAccess.objects.unreviewed().exists()
    waiting = client.get("/admin/auditlog/breakglassaccess/?review=no")
    assert waiting.context["cl"].result_count == 0
    assert "(0)" in client.get("/admin/auditlog/breakglassaccess/").content.decode()
    # Append-only: no change, no delete; a later review is a new row.
    change = f"/admin/auditlog/breakglassreview/{review.pk}/change/"
    client.post(change, {"access": access.pk, "outcome": "accepted", "note": "x"})
    assert (
        client.post(
            f"/admin/auditlog/breakglassreview/{review.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    review.refresh_from_db()
    assert review.outcome == "escalated"
    break_glass.review(access, privacy_officer, outcome="accepted", note="Fine now")
    assert access.reviews.count() == 2


def test_only_privacy_officers_review(staff_client, auditor, alice, alice_node):
    access = _declare(auditor, alice)
    response = staff_client(auditor).post(
        REVIEW_ADD, {"access": access.pk, "outcome": "accepted", "note": "Mine"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        break_glass.review(access, auditor, outcome="accepted", note="Mine")
    assert not BreakGlassReview.objects.exists()


def test_declarations_cannot_be_changed_or_deleted_in_admin(
    staff_client, auditor, alice, alice_node
):
    access = _declare(auditor, alice)
    client = staff_client(auditor)
    url = f"/admin/auditlog/breakglassaccess/{access.pk}/"
    assert client.get(f"{url}change/").status_code == 200  # read-only view
    client.post(f"{url}change/", _declaration(alice, hours="4"))
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    access.refresh_from_db()
    assert access.ends_at - access.starts_at == timedelta(hours=2)


def test_opening_a_declaration_or_review_in_admin_is_a_staff_read(
    staff_client, auditor, privacy_officer, alice, alice_node
):
    from auditlog import buffer
    from auditlog.models import SecurityEvent

    access = _declare(auditor, alice)
    review = break_glass.review(access, privacy_officer, outcome="accepted", note="Ok")
    client = staff_client(privacy_officer)
    for url in (
        f"/admin/auditlog/breakglassaccess/{access.pk}/change/",
        f"/admin/auditlog/breakglassreview/{review.pk}/change/",
    ):
        assert client.get(url).status_code == 200
    buffer.flush()
    reads = SecurityEvent.objects.filter(
        action=SecurityEvent.Action.PERSONAL_DATA_VIEWED, user=privacy_officer
    )
    assert sorted(reads.values_list("subject_id", "object_label")) == [
        (alice.pk, f"auditlog.breakglassaccess:{access.pk}"),
        (alice.pk, f"auditlog.breakglassreview:{review.pk}"),
    ]


def test_a_retried_batch_under_break_glass_stores_nothing_twice(
    auditor, alice, alice_node
):
    _declare(auditor, alice)
    own = _staff_event(auditor, alice)
    other = _staff_event(auditor, alice, action="disk_access")
    services.ingest_node_events([own])
    result = services.ingest_node_events([own, other])
    assert result.duplicates == [own["event_id"]]
    assert result.break_glass.keys() == {other["event_id"]}
    assert result.violations == []
    assert BreakGlassUse.objects.count() == 2
    assert not NodeEvent.objects.filter(is_violation=True).exists()


def test_break_glass_covers_every_look_inside_action_but_never_an_unknown_one(
    auditor, alice, alice_node
):
    _declare(auditor, alice)
    snapshot = _staff_event(auditor, alice, action="snapshot")
    password = _staff_event(auditor, alice, action="password_reset")
    unknown = _staff_event(auditor, alice, action="memory_dump")
    result = services.ingest_node_events([snapshot, password, unknown])
    assert result.break_glass.keys() == {snapshot["event_id"], password["event_id"]}
    # Unknown actions stay flagged for review, whoever declared what.
    assert result.violations == [unknown["event_id"]]


def test_the_declarations_list_shows_the_latest_review_in_a_fixed_number_of_queries(
    staff_client, auditor, privacy_officer, alice, alice_node
):
    client = staff_client(privacy_officer)
    first = _declare(auditor, alice)
    break_glass.review(first, privacy_officer, outcome="escalated", note="Too wide")
    break_glass.review(first, privacy_officer, outcome="accepted", note="Explained")
    client.get("/admin/auditlog/breakglassaccess/")  # the session's first save
    with CaptureQueriesContext(connection) as one:
        page = client.get("/admin/auditlog/breakglassaccess/").content.decode()
    assert '<td class="field-review_status">ยอมรับ</td>' in page  # the latest review
    for _ in range(3):
        _declare(auditor, alice)
    with CaptureQueriesContext(connection) as four:
        assert client.get("/admin/auditlog/breakglassaccess/").status_code == 200
    assert len(four) == len(one)
