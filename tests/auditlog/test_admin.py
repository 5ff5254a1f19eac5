"""Staff review in admin: read-only, no full counts, filters, search, CSV, permissions."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from auditlog import buffer, services
from auditlog import roles as auditlog_roles
from auditlog.models import AccessLog, Disclosure, NodeEvent, SecurityEvent
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/auditlog/accesslog/"


@pytest.fixture(autouse=True)
def _groups_have_permissions(db):
    # Transactional tests elsewhere may have flushed what post_migrate granted.
    auditlog_roles.grant_group_permissions()


@pytest.fixture
def superuser(db):
    return StaffFactory(email="root@onespace.test", is_superuser=True)


def _access(n, ip="192.0.2.1", user=None, when=None):
    for i in range(n):
        buffer.record(
            "access",
            {
                "occurred_at": when or timezone.now(),
                "user_id": user.pk if user else None,
                "ip": ip,
                "user_agent": "Mozilla/5.0 Firefox/121.0",
                "method": "GET",
                "path": f"/p/{i}",
                "status": 200,
                "duration_ms": 1,
            },
        )
    buffer.flush()


@pytest.mark.parametrize(
    "model", ["accesslog", "securityevent", "nodeevent", "accessgrant"]
)
def test_log_admin_is_read_only_even_for_superusers(staff_client, superuser, model):
    client = staff_client(superuser)
    assert client.get(f"/admin/auditlog/{model}/").status_code == 200
    assert client.get(f"/admin/auditlog/{model}/add/").status_code == 403
    _access(1)
    row = AccessLog.objects.get(path="/p/0")
    response = client.post(
        f"/admin/auditlog/accesslog/{row.pk}/change/", {"path": "/x"}
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"/admin/auditlog/accesslog/{row.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    row.refresh_from_db()
    assert row.path == "/p/0"


def test_change_list_never_counts_the_whole_table(staff_client, auditor):
    _access(30)
    client = staff_client(auditor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    counts = [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and "auditlog_accesslog" in q["sql"]
    ]
    assert counts, "the capped count runs"
    assert all("LIMIT" in sql.upper() for sql in counts)


def test_change_list_has_no_date_drilldown(staff_client, auditor):
    from auditlog.admin import AccessLogAdmin, NodeEventAdmin, SecurityEventAdmin

    for admin_class in (AccessLogAdmin, SecurityEventAdmin, NodeEventAdmin):
        assert not admin_class.date_hierarchy
        assert admin_class.show_full_result_count is False


def test_filters_by_ip_user_and_time(staff_client, auditor, alice):
    _access(2, ip="198.51.100.1")
    _access(3, ip="192.0.2.1", user=alice)
    _access(4, ip="192.0.2.1", when=timezone.now() - timedelta(days=40))
    client = staff_client(auditor)
    assert (
        client.get(LIST, {"ip_address": "198.51.100.1"}).context["cl"].result_count == 2
    )
    assert (
        client.get(LIST, {"user_email": "ALICE@example.com"}).context["cl"].result_count
        == 3
    )
    since = str(
        timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        - timedelta(days=7)
    )
    assert client.get(LIST, {"occurred_at__gte": since}).context["cl"].result_count == 5
    assert client.get(LIST, {"ip_address": "not an ip"}).context["cl"].result_count == 0


def test_search_by_ip_email_and_node(staff_client, auditor, alice):
    _access(2, ip="198.51.100.1")
    _access(1, user=alice)
    client = staff_client(auditor)
    assert client.get(LIST, {"q": "198.51.100.1"}).context["cl"].result_count == 2
    assert client.get(LIST, {"q": "alice@example.com"}).context["cl"].result_count == 1
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": node,
                "customer_id": alice.pk,
                "action": "start",
                "actor_type": "system",
                "actor_id": "",
                "source_ip": None,
                "details": {},
            }
            for node in ("node-a", "node-b", "node-b")
        ]
    )
    response = client.get("/admin/auditlog/nodeevent/", {"q": "node-b"})
    assert response.context["cl"].result_count == 2


def test_violation_filter(staff_client, privacy_officer, alice):
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "n",
                "customer_id": alice.pk,
                "action": action,
                "actor_type": "staff",
                "actor_id": "5",
                "source_ip": None,
                "details": {},
            }
            for action in ("console_access", "reboot")
        ]
    )
    client = staff_client(privacy_officer)
    response = client.get("/admin/auditlog/nodeevent/", {"is_violation__exact": "1"})
    assert [e.action for e in response.context["cl"].result_list] == ["console_access"]


def test_csv_export_streams_the_filtered_selection(staff_client, auditor):
    _access(2, ip="198.51.100.1")
    _access(3, ip="192.0.2.1")
    response = staff_client(auditor).get(
        LIST + "export.csv", {"ip_address": "198.51.100.1"}
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "occurred_at", "user__email", "ip"]
    assert len(rows) == 3
    assert {r[3] for r in rows[1:]} == {"198.51.100.1"}


def test_csv_export_needs_view_permission(staff_client, support_agent):
    response = staff_client(support_agent).get(LIST + "export.csv")
    assert response.status_code == 403


def test_security_auditor_sees_logs_but_not_disclosures(staff_client, auditor):
    client = staff_client(auditor)
    assert client.get(LIST).status_code == 200
    assert client.get("/admin/auditlog/nodeevent/").status_code == 200
    assert client.get("/admin/auditlog/disclosure/").status_code == 403
    assert client.get("/admin/auditlog/accessgrant/").status_code == 403


def test_privacy_officer_sees_logs_grants_and_records_disclosures(
    staff_client, privacy_officer, alice
):
    client = staff_client(privacy_officer)
    assert client.get(LIST).status_code == 200
    assert client.get("/admin/auditlog/accessgrant/").status_code == 200
    response = client.post(
        "/admin/auditlog/disclosure/add/",
        {
            "authority": "Royal Thai Police, Technology Crime Suppression Division",
            "legal_basis": "Computer-related Crime Act s.18, letter 0026.123/456",
            "requested_on": "2026-11-01",
            "categories": ["auditlog-access-log"],
            "approved_by": privacy_officer.pk,
            "disclosed_at_0": "2026-11-03",
            "disclosed_at_1": "10:00:00",
            "customers": str(alice.pk),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    disclosure = Disclosure.objects.get()
    assert list(disclosure.customers.all()) == [alice]
    assert disclosure.categories == ["auditlog-access-log"]


def test_disclosure_form_refuses_unknown_categories(
    staff_client, privacy_officer, alice
):
    response = staff_client(privacy_officer).post(
        "/admin/auditlog/disclosure/add/",
        {
            "authority": "X",
            "legal_basis": "Y",
            "requested_on": "2026-11-01",
            "categories": ["no-such-category"],
            "approved_by": privacy_officer.pk,
            "disclosed_at_0": "2026-11-03",
            "disclosed_at_1": "10:00:00",
            "customers": str(alice.pk),
        },
    )
    assert response.status_code == 200
    assert not Disclosure.objects.exists()


def test_support_staff_cannot_see_logs(staff_client, support_agent):
    assert staff_client(support_agent).get(LIST).status_code == 403


def test_groups_get_permissions_after_migrate():
    auditor_perms = set(
        Group.objects.get(name=roles.SECURITY_AUDITOR).permissions.values_list(
            "codename", flat=True
        )
    )
    assert {"view_accesslog", "view_securityevent", "view_nodeevent"} <= auditor_perms
    assert "view_disclosure" not in auditor_perms
    officer_perms = set(
        Group.objects.get(name=roles.PRIVACY_OFFICER).permissions.values_list(
            "codename", flat=True
        )
    )
    assert {
        "view_disclosure",
        "add_disclosure",
        "view_accessgrant",
        "view_nodeevent",
    } <= officer_perms


def test_staff_opening_a_customers_record_in_admin_is_logged(
    staff_client, superuser, alice
):
    client = staff_client(superuser)
    from django.contrib.auth import get_user_model

    opts = get_user_model()._meta
    response = client.get(
        f"/admin/{opts.app_label}/{opts.model_name}/{alice.pk}/change/"
    )
    assert response.status_code == 200
    buffer.flush()
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.PERSONAL_DATA_VIEWED)
    assert event.user_id == superuser.pk
    assert event.subject_id == alice.pk
    assert event.object_label == f"{opts.label_lower}:{alice.pk}"


def test_customer_sees_that_staff_opened_their_data(
    client, staff_client, superuser, alice
):
    from django.contrib.auth import get_user_model

    opts = get_user_model()._meta
    staff_client(superuser).get(
        f"/admin/{opts.app_label}/{opts.model_name}/{alice.pk}/change/"
    )
    buffer.flush()
    client.force_login(alice)
    response = client.get("/activity/sign-ins/", {"action": "personal_data_viewed"})
    assert len(response.context["page"]) == 1


def test_node_event_change_view_logs_the_customer_as_subject(
    staff_client, privacy_officer, alice
):
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "n",
                "customer_id": alice.pk,
                "action": "start",
                "actor_type": "system",
                "actor_id": "",
                "source_ip": None,
                "details": {},
            }
        ]
    )
    event = NodeEvent.objects.get()
    response = staff_client(privacy_officer).get(
        f"/admin/auditlog/nodeevent/{event.pk}/change/"
    )
    assert response.status_code == 200
    buffer.flush()
    assert (
        SecurityEvent.objects.get(action="personal_data_viewed").subject_id == alice.pk
    )


def test_refused_records_are_shown_whole_and_read_only(staff_client, auditor, alice):
    buffer.record(
        "access",
        {
            "occurred_at": timezone.now(),
            "user_id": alice.pk,
            "remote_addr": "192.0.2.1",
            "forwarded_for": "",
            "user_agent": "test",
            "method": "GET",
            "path": "/refused",
            # No column holds a negative status: the database refuses the record.
            "status": -1,
            "duration_ms": 1,
        },
    )
    buffer.flush()
    letter = apps_dead_letter().objects.get()
    client = staff_client(auditor)
    listing = client.get("/admin/auditlog/deadletter/")
    assert listing.status_code == 200
    assert "alice@example.com" in listing.content.decode()
    page = client.get(f"/admin/auditlog/deadletter/{letter.pk}/change/")
    assert page.status_code == 200
    assert "/refused" in page.content.decode()
    assert client.get("/admin/auditlog/deadletter/add/").status_code == 403
    assert (
        client.post(
            f"/admin/auditlog/deadletter/{letter.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert apps_dead_letter().objects.filter(pk=letter.pk).exists()
    # Opening it is a staff view of Alice's personal data, which she can see.
    buffer.flush()
    assert SecurityEvent.objects.filter(
        action=SecurityEvent.Action.PERSONAL_DATA_VIEWED, subject=alice
    ).exists()


def apps_dead_letter():
    from django.apps import apps

    return apps.get_model("auditlog", "DeadLetter")
