"""Which node actions look inside (auditlog.node_actions), grants naming staff, the check API."""

import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from auditlog import node_actions, services
from auditlog.models import AccessGrant, NodeEvent
from tests.auditlog.conftest import make_event, make_ticket
from tests.factories import StaffFactory

URL = "/api/v1/node-events/"
CHECK = "/api/v1/access-grants/check"
README = Path(__file__).resolve().parents[2] / "README.md"


def _client(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# --- The table ------------------------------------------------------------------------


def test_the_table_and_the_model_choices_list_the_same_actions():
    assert {a.slug for a in node_actions.TABLE} == set(NodeEvent.Action.values)
    for action in node_actions.TABLE:
        assert str(action.label) == str(NodeEvent.Action(action.slug).label)
        assert action.starters <= node_actions.EVERYONE
        assert action.contents in node_actions.CONTENTS_LABELS
        assert str(action.why)


def test_internal_access_is_derived_from_the_table():
    assert {
        a.slug for a in node_actions.TABLE if a.contents != node_actions.NONE
    } == NodeEvent.INTERNAL_ACCESS
    # The actions the issue names as looking inside.
    assert {
        "console_access",
        "disk_access",
        "snapshot",
        "backup",
        "image_export",
        "restore_to_other_node",
        "rebuild_keep_disk",
        "password_reset",
    } <= NodeEvent.INTERNAL_ACCESS
    assert not {"start", "stop", "reboot", "create", "delete"} & (
        NodeEvent.INTERNAL_ACCESS
    )


def test_readme_lists_every_action_of_the_table():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- node-actions -->")
    end = text.index("<!-- /node-actions -->")
    rows = [line for line in text[start:end].splitlines() if line.startswith("| `")]
    listed = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        listed[cells[0].strip("`")] = cells
    assert set(listed) == {a.slug for a in node_actions.TABLE}
    with translation.override("en"):
        for action in node_actions.TABLE:
            cells = listed[action.slug]
            assert cells[1] == str(action.label)
            assert set(re.findall(r"[a-z]+", cells[2])) == set(action.starters)
            assert cells[3] == action.contents
            assert cells[4] == ("yes" if action.needs_grant else "no")
            assert cells[5] == str(action.why)


def test_needs_grant_is_for_staff_only_and_for_unknown_actions_too():
    assert node_actions.needs_grant("console_access", "staff", {})
    assert not node_actions.needs_grant("console_access", "customer", {})
    assert not node_actions.needs_grant("backup", "system", {"schedule": "customer"})
    assert not node_actions.needs_grant("reboot", "staff", {})
    assert node_actions.needs_grant("teleport", "staff", {})


# --- Every action × who started it ----------------------------------------------------

CASES = [
    "customer",
    "staff with covering grant",
    "staff with grant for someone else",
    "staff with expired grant",
    "staff with revoked grant",
    "system on the customer's schedule",
    "system",
]


def _expected_flag(action, case):
    """The flag the rules of policy 1.2.1 give (independent of classify's code)."""
    actor = case.split()[0]
    if actor not in action.starters:
        return node_actions.UNEXPECTED_ACTOR
    if actor == "customer" or action.contents == node_actions.NONE:
        return ""
    if actor == "system":
        return "" if "schedule" in case else node_actions.NO_CUSTOMER_SCHEDULE
    return "" if case == "staff with covering grant" else node_actions.NO_GRANT


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("action", node_actions.TABLE, ids=lambda a: a.slug)
def test_every_action_by_every_actor(
    node_token,
    alice,
    alice_node,
    support_agent,
    auditor,
    privacy_officer,
    django_capture_on_commit_callbacks,
    action,
    case,
):
    actor = {"type": case.split()[0], "id": ""}
    details = {}
    when = timezone.now()
    if actor["type"] == "customer":
        actor["id"] = str(alice.pk)
    elif actor["type"] == "system":
        actor["id"] = "scheduler"
        if "schedule" in case:
            details = {"schedule": "customer", "policy_id": "bkp-daily"}
    else:
        actor["id"] = str(support_agent.pk)
        named = (
            auditor if case == "staff with grant for someone else" else support_agent
        )
        with time_machine.travel(
            when - timedelta(hours=3) if "expired" in case else when, tick=False
        ):
            grant = services.grant_access(
                alice, node_id=alice_node, reason="Fix", hours=1, staff=named
            )
        if "revoked" in case:
            services.revoke_grant(grant)
    event = make_event(
        alice,
        node_id=alice_node,
        action=action.slug,
        actor=actor,
        details=details,
        occurred_at=timezone.now().isoformat(),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(node_token).post(URL, [event], format="json")
    assert response.status_code == 201, response.json()
    stored = NodeEvent.objects.get(event_id=event["event_id"])
    expected = _expected_flag(action, case)
    assert stored.is_violation is bool(expected)
    assert response.json()["violations"] == ([event["event_id"]] if expected else [])
    if expected:
        assert node_actions.flag_reason(
            stored.action, stored.actor_type, stored.details
        ) == (expected)
        # The Privacy officer hears of it (the violation email path).
        officer_mail = [m for m in mail.outbox if m.to == [privacy_officer.email]]
        assert officer_mail
        assert event["event_id"] in officer_mail[0].body
    else:
        assert mail.outbox == []
    covered = case == "staff with covering grant" and action.needs_grant
    assert (stored.grant_id is not None) is covered


# --- Unknown actions ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_action_is_stored_flagged_and_emailed(
    node_token, alice, privacy_officer, django_capture_on_commit_callbacks
):
    privacy_officer.language = "en"
    privacy_officer.save()
    event = make_event(alice, action="vtpm.attach", actor={"type": "customer"})
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(node_token).post(URL, [event], format="json")
    assert response.status_code == 201
    stored = NodeEvent.objects.get()
    assert (stored.action, stored.is_violation) == ("vtpm.attach", True)
    assert stored.get_action_display() == "vtpm.attach"
    assert "Unknown action" in mail.outbox[0].body
    assert mail.outbox[0].subject.endswith("A node event to review")
    # Not staff access without a grant: no breach candidate (only the one email).
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action", ["Console", "console access", "a\x00b", "x" * 31, "", "_x", "é"]
)
def test_malformed_actions_are_still_refused(node_token, alice, action):
    event = make_event(alice, action=action)
    response = _client(node_token).post(URL, [event], format="json")
    assert response.status_code == 400
    assert "action" in response.json()["errors"][0]
    assert not NodeEvent.objects.exists()


@pytest.mark.django_db
def test_admin_lists_unknown_actions_for_review(
    node_token, alice, staff_client, privacy_officer, auditor
):
    from auditlog.roles import grant_group_permissions

    grant_group_permissions()
    known = make_event(alice, action="reboot")
    unknown = make_event(alice, action="gpu-passthrough")
    _client(node_token).post(URL, [known, unknown], format="json")
    response = staff_client(auditor).get("/admin/auditlog/nodeevent/", {"known": "no"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "gpu-passthrough" in html
    listed = [event.action for event in response.context["cl"].result_list]
    assert listed == ["gpu-passthrough"]
    # Under the list, the table of node actions with why each needs a grant or not.
    table = html[html.index('id="node-actions"') :]
    for action in node_actions.TABLE:
        assert f"<code>{action.slug}</code>" in table
        assert str(action.why) in table.replace("&#x27;", "'")
    event = NodeEvent.objects.get(action="gpu-passthrough")
    page = staff_client(auditor).get(
        reverse("admin:auditlog_nodeevent_change", args=[event.pk])
    )
    assert "ไม่รู้จัก: รอตรวจสอบ" in page.content.decode()


# --- Grants naming a ticket's team, and scopes ----------------------------------------


def _staff_event(alice, node, staff, action="console_access"):
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": timezone.now(),
        "node_id": node,
        "customer_id": alice.pk,
        "action": action,
        "actor_type": "staff",
        "actor_id": str(staff.pk),
        "source_ip": None,
        "details": {},
    }


@pytest.mark.django_db
def test_a_ticket_grant_follows_the_tickets_assignee(
    alice, alice_node, support_agent, auditor
):
    ticket = make_ticket(alice, assignee=support_agent, node_id=alice_node)
    services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=2, ticket_id=ticket.pk
    )
    result = services.ingest_node_events(
        [_staff_event(alice, alice_node, support_agent)]
    )
    assert result.violations == []
    result = services.ingest_node_events([_staff_event(alice, alice_node, auditor)])
    assert len(result.violations) == 1
    ticket.assignee = auditor
    ticket.save()
    assert (
        services.ingest_node_events([_staff_event(alice, alice_node, auditor)])
    ).violations == []
    assert services.ingest_node_events(
        [_staff_event(alice, alice_node, support_agent)]
    ).violations
    ticket.state = "closed"
    ticket.save()
    assert services.ingest_node_events(
        [_staff_event(alice, alice_node, auditor)]
    ).violations


@pytest.mark.django_db
def test_a_grant_limited_to_the_console_does_not_cover_a_snapshot(
    alice, alice_node, support_agent
):
    grant = services.grant_access(
        alice,
        node_id=alice_node,
        reason="Fix",
        hours=2,
        staff=support_agent,
        actions=["console_access"],
    )
    assert grant.scope == ["console_access"]
    ok = services.ingest_node_events([_staff_event(alice, alice_node, support_agent)])
    assert ok.violations == []
    snapshot = services.ingest_node_events(
        [_staff_event(alice, alice_node, support_agent, "snapshot")]
    )
    assert len(snapshot.violations) == 1


@pytest.mark.django_db
def test_a_grant_of_another_customers_node_covers_nothing(
    alice, bob, alice_node, support_agent
):
    services.ingest_node_events(
        [{**_staff_event(bob, "bob-node", bob, "create"), "actor_type": "customer"}]
    )
    services.grant_access(
        bob, node_id="bob-node", reason="Fix", hours=2, staff=support_agent
    )
    event = {**_staff_event(alice, "bob-node", support_agent)}
    assert services.ingest_node_events([event]).violations


# --- The access-check API -------------------------------------------------------------


@pytest.mark.django_db
def test_check_answers_only_for_the_named_staff_with_scope_and_end(
    check_token, alice, alice_node, support_agent, auditor
):
    grant = services.grant_access(
        alice,
        node_id=alice_node,
        reason="Fix",
        hours=3,
        staff=support_agent,
        actions=["console_access", "snapshot"],
    )
    body = (
        _client(check_token)
        .get(CHECK, {"node_id": alice_node, "staff_id": support_agent.pk})
        .json()
    )
    assert body["permitted"] is True
    assert body["grant"]["id"] == grant.pk
    assert body["grant"]["staff_id"] == support_agent.pk
    assert body["grant"]["scope"] == ["snapshot", "console_access"]
    assert parse_datetime(body["grant"]["expires_at"]) == grant.expires_at
    other = _client(check_token).get(
        CHECK, {"node_id": alice_node, "staff_id": auditor.pk}
    )
    assert other.json() == {"permitted": False, "grant": None, "break_glass": None}
    for action, permitted in (
        ("console_access", True),
        ("snapshot", True),
        ("disk_access", False),
        ("unknown-thing", False),
    ):
        answer = _client(check_token).get(
            CHECK,
            {"node_id": alice_node, "staff_id": support_agent.pk, "action": action},
        )
        assert answer.json()["permitted"] is permitted, action


@pytest.mark.django_db
def test_check_answers_for_the_current_team_of_a_ticket(
    check_token, alice, alice_node, support_agent, auditor
):
    ticket = make_ticket(alice, assignee=support_agent, node_id=alice_node)
    services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=3, ticket_id=ticket.pk
    )

    def permitted(staff):
        return (
            _client(check_token)
            .get(CHECK, {"node_id": alice_node, "staff_id": staff.pk})
            .json()["permitted"]
        )

    assert (permitted(support_agent), permitted(auditor)) == (True, False)
    ticket.assignee = auditor
    ticket.save()
    assert (permitted(support_agent), permitted(auditor)) == (False, True)


@pytest.mark.django_db
def test_check_refuses_a_bad_action(check_token):
    response = _client(check_token).get(
        CHECK, {"node_id": "n", "staff_id": 1, "action": "a\x00b"}
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_check_takes_one_query_beyond_the_token(
    check_token, alice, alice_node, support_agent, django_assert_num_queries
):
    ticket = make_ticket(alice, assignee=support_agent, node_id=alice_node)
    services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=3, ticket_id=ticket.pk
    )
    services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=2, staff=support_agent
    )
    with django_assert_num_queries(1):
        assert services.check_access(alice_node, support_agent.pk, action="disk_access")
    client = _client(check_token)
    query = {"node_id": alice_node, "staff_id": support_agent.pk}
    client.get(CHECK, query)  # the token's last use is recorded once a minute
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHECK, query).json()["permitted"] is True
    # The token, and the check itself; the rate-limit counter is the cache's (a
    # table on the development default, Redis in production).
    answered = [
        q["sql"]
        for q in queries
        if "onespace_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]
    assert len(answered) == 2, answered
    assert "accounts_servicetoken" in answered[0]
    assert "auditlog_accessgrant" in answered[1]


def _check_until(raw, node_id, staff_id, results, start, stop):
    client = _client(raw)
    try:
        start.wait()
        while not stop.is_set():
            begun = time.monotonic()
            permitted = (
                client.get(CHECK, {"node_id": node_id, "staff_id": staff_id})
                .json()
                .get("permitted")
            )
            results.append((begun, time.monotonic(), permitted))
    finally:
        connections.close_all()  # this thread's own connection


def _wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the checkers did not get going"
        time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_parallel_checks_while_the_grant_is_revoked(
    postgres, check_token, alice, alice_node, support_agent
):
    """8 checkers on their own connections; a revocation in the middle. Every check
    begun after the revocation committed says no; before it, every one said yes."""
    grant = services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=3, staff=support_agent
    )
    results: list[tuple[float, float, bool]] = []
    start = threading.Barrier(9)
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [
            pool.submit(
                _check_until,
                check_token,
                alice_node,
                support_agent.pk,
                results,
                start,
                stop,
            )
            for _ in range(8)
        ]
        start.wait()
        try:
            _wait_for(lambda: len(results) >= 24)
            asked = time.monotonic()
            services.revoke_grant(AccessGrant.objects.get(pk=grant.pk))
            revoked = time.monotonic()
            _wait_for(lambda: sum(b > revoked for b, _e, _p in results) >= 24)
        finally:
            stop.set()
        for future in futures:
            future.result()
    assert all(permitted in (True, False) for _b, _e, permitted in results)
    # Begun after the revocation committed: refused, every one.
    after = [permitted for begun, _e, permitted in results if begun > revoked]
    assert len(after) >= 24
    assert not any(after)
    # Answered before the revocation was asked for: permitted, every one.
    before = [permitted for _b, ended, permitted in results if ended < asked]
    assert len(before) >= 24
    assert all(before)


# --- What the customer sees -----------------------------------------------------------


@pytest.mark.django_db
def test_the_customer_sees_each_use_of_a_grant_by_role_and_staff_number(
    client, alice, alice_node, support_agent
):
    grant = services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=3, staff=support_agent
    )
    services.ingest_node_events(
        [
            _staff_event(alice, alice_node, support_agent, "console_access"),
            _staff_event(alice, alice_node, support_agent, "snapshot"),
        ]
    )
    assert NodeEvent.objects.filter(grant_id=grant.pk).count() == 2
    client.force_login(alice)
    html = client.get(reverse("auditlog:grant-list")).content.decode()
    label = f"ฝ่ายบริการลูกค้า #{support_agent.pk}"
    assert html.count(label) >= 3  # who may use it, and each of the two uses
    assert "เปิดคอนโซล" in html or "Console opened" in html
    assert support_agent.full_name not in html
    assert support_agent.email not in html
    activity = client.get(reverse("auditlog:node-event-list")).content.decode()
    assert label in activity


@pytest.mark.django_db
def test_staff_without_a_role_show_as_staff_and_customers_not_at_all(alice):
    staff = StaffFactory()
    with translation.override("en"):
        assert services.staff_labels([staff.pk, alice.pk, "x"]) == {
            str(staff.pk): f"Staff #{staff.pk}"
        }
