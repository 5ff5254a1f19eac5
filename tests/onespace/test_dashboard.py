"""The staff usage dashboard: who sees it, and that its tables count what happened."""

import re
import uuid
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from auditlog import buffer, services
from auditlog.models import SecurityEvent
from onespace import charts, dashboard
from policy.models import PrivacyRequest
from support.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db

# Noon in Bangkok on 20 November 2026 (2569 BE); 05:00 UTC.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=charts.BANGKOK)
URL = "/admin/dashboard/"


@pytest.fixture(autouse=True)
def _clock_and_buffer():
    buffer.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    buffer.clear()


def _security(action, user, at):
    buffer.record(
        "security",
        {
            "occurred_at": at,
            "action": action,
            "user_id": user.pk if user else None,
            "attempted_email": "" if user else "nobody@example.com",
            "ip": "203.0.113.7",
            "raw_ip": "",
            "user_agent": "test",
        },
    )


def _node(customer, action, at, *, violation=False):
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": at,
                "node_id": f"node-{customer.pk}",
                "customer_id": customer.pk,
                "action": action,
                "actor_type": "staff" if violation else "customer",
                "actor_id": "77",
                "source_ip": "203.0.113.7",
                "details": {},
            }
        ]
    )


def _table(html, chart_id):
    """{row label: [numbers]} of one chart's table."""
    figure = html.split(f'id="{chart_id}"', 1)[1].split("</figure>", 1)[0]
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if label:
            rows[label.group(1).strip()] = [
                int(n) for n in re.findall(r"<td>(\d+)</td>", row)
            ]
    return rows


@pytest.fixture
def seeded(alice, bob):
    """A known week of activity around NOW, plus noise outside the window."""
    today = NOW
    yesterday = NOW - timedelta(days=1)
    # 02:00 Bangkok on the 19th is 19:00 UTC on the 18th: a Bangkok day counts it
    # on the 19th.
    early_morning = datetime(2026, 11, 19, 2, 0, tzinfo=charts.BANGKOK)
    for _ in range(3):
        _security(SecurityEvent.Action.SIGN_IN, alice, today)
    _security(SecurityEvent.Action.SIGN_IN, bob, today)
    _security(SecurityEvent.Action.SIGN_IN, alice, yesterday)
    _security(SecurityEvent.Action.SIGN_IN, bob, early_morning)
    for _ in range(5):
        _security(SecurityEvent.Action.SIGN_IN_FAILED, None, yesterday)
    _security(SecurityEvent.Action.LOCKED_OUT, None, yesterday)
    # 40 days ago: in the 90-day view, not in the 30-day one.
    _security(SecurityEvent.Action.SIGN_IN, alice, NOW - timedelta(days=40))
    staff = factories.StaffFactory(email="ops@onespace.test")
    _security(SecurityEvent.Action.SIGN_IN, staff, today)  # staff are not customers
    buffer.flush()

    for action in ("create", "start", "start", "reboot"):
        _node(alice, action, today)
    _node(bob, "stop", NOW - timedelta(days=40))
    _node(alice, "console_access", yesterday, violation=True)

    Ticket.objects.create(customer=alice, kind="problem", subject="down")
    Ticket.objects.create(customer=alice, kind="enquiry", subject="q")
    Ticket.objects.create(customer=bob, kind="enquiry", subject="q2")
    Ticket.objects.create(
        customer=alice,
        kind="privacy",
        privacy_right="access",
        subject="mine",
        due_on=date(2026, 11, 10),
    )
    Ticket.objects.create(
        customer=bob,
        kind="privacy",
        privacy_right="erasure",
        subject="erase",
        due_on=date(2026, 12, 1),
    )
    Ticket.objects.create(
        customer=bob,
        kind="privacy",
        privacy_right="access",
        subject="done",
        due_on=date(2026, 12, 1),
        state="closed",
    )
    # The privacy-request workflow's own requests: one open (extended), one closed.
    PrivacyRequest.objects.create(
        right="access",
        name="Dan",
        email="dan@example.com",
        due_on=date(2026, 11, 20),
        extended_to=date(2026, 12, 1),
    )
    PrivacyRequest.objects.create(
        right="erasure",
        name="Eve",
        email="eve@example.com",
        due_on=date(2026, 11, 10),
        closed_at=NOW,
        outcome="done",
    )


def test_auditor_and_privacy_officer_see_the_dashboard(
    staff_client, auditor, privacy_officer
):
    for user in (auditor, privacy_officer):
        response = staff_client(user).get(URL)
        assert response.status_code == 200
        assert "chart-sign-ins" in response.content.decode()


def test_superuser_sees_it_and_the_admin_index_links_to_it(staff_client):
    root = factories.StaffFactory(email="root@onespace.test", is_superuser=True)
    client = staff_client(root)
    assert client.get(URL).status_code == 200
    assert URL in client.get(reverse("admin:index")).content.decode()


def test_other_staff_are_refused_and_not_linked(staff_client, finance, support_agent):
    for user in (finance, support_agent):
        client = staff_client(user)
        assert client.get(URL).status_code == 403
        assert URL not in client.get(reverse("admin:index")).content.decode()


def test_customers_and_visitors_never_reach_it(client, alice):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(alice)
    assert client.get(URL).status_code in (302, 403)
    assert b"chart-sign-ins" not in client.get(URL, follow=True).content


def test_dashboard_needs_the_verified_second_factor(client, auditor):
    client.force_login(auditor)  # password only, no TOTP
    response = client.get(URL)
    assert response.status_code == 302
    assert "chart-sign-ins" not in client.get(URL, follow=True).content.decode()


def test_tables_count_the_seeded_events_per_bangkok_day(staff_client, auditor, seeded):
    with translation.override("en"):
        html = (
            staff_client(auditor).get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        )
    sign_ins = _table(html, "chart-sign-ins")
    assert len(sign_ins) == 30
    assert sign_ins["20 Nov 2026"] == [5, 0]  # Alice 3, Bob 1, staff 1
    assert sign_ins["19 Nov 2026"] == [2, 5]
    assert sign_ins["18 Nov 2026"] == [0, 0]
    assert _table(html, "chart-lockouts")["19 Nov 2026"] == [1]
    active = _table(html, "chart-active-customers")
    assert active["20 Nov 2026"] == [2]  # Alice three times and Bob: two customers
    assert active["19 Nov 2026"] == [2]
    nodes = _table(html, "chart-node-actions")
    assert nodes["Created"] == [1]
    assert nodes["Started"] == [2]
    assert nodes["Rebooted"] == [1]
    assert nodes["Stopped"] == [0]  # 40 days ago
    assert _table(html, "chart-violations")["19 Nov 2026"] == [1]
    due = _table(html, "chart-privacy-due")
    assert due == {"10 Nov 2026 (overdue)": [1], "1 Dec 2026": [2]}
    kinds = _table(html, "chart-ticket-kinds")
    assert kinds["Problem report"] == [1]
    assert kinds["Enquiry"] == [2]
    assert kinds["Privacy request"] == [3]
    assert 'id="active-customers">2<' in html


def test_ninety_days_include_older_events(staff_client, auditor, seeded):
    html = staff_client(auditor).get(URL, {"days": 90}).content.decode()
    sign_ins = _table(html, "chart-sign-ins")
    assert len(sign_ins) == 90
    assert sum(row[0] for row in sign_ins.values()) == 8
    assert _table(html, "chart-node-actions")["หยุดทำงาน"] == [1]


def test_dates_are_buddhist_era_in_thai(staff_client, auditor, seeded):
    html = staff_client(auditor).get(URL).content.decode()
    assert _table(html, "chart-sign-ins")["20 พ.ย. 2569"] == [5, 0]
    assert "2026" not in html.split('id="chart-sign-ins"', 1)[1]


def test_unknown_period_falls_back_to_thirty_days(staff_client, auditor):
    html = staff_client(auditor).get(URL, {"days": "x"}).content.decode()
    assert len(_table(html, "chart-sign-ins")) == 30
    html = staff_client(auditor).get(URL, {"days": "100000"}).content.decode()
    assert len(_table(html, "chart-sign-ins")) == 30


def test_dashboard_is_eight_queries_whatever_the_data(
    seeded, django_assert_num_queries
):
    # Four for the logs (per-day counts on PostgreSQL, the logs on SQLite), two for
    # tickets, one for privacy requests, one for the number of customers.
    for period in (30, 90):
        with django_assert_num_queries(8):
            dashboard.build(period)


def test_page_query_count_does_not_grow_with_data(staff_client, auditor, request):
    client = staff_client(auditor)
    client.get(URL)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as empty:
        client.get(URL, {"days": 90})
    request.getfixturevalue("seeded")
    with CaptureQueriesContext(connection) as full:
        client.get(URL, {"days": 90})
    assert len(full) == len(empty)
