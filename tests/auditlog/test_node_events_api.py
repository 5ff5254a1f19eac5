"""POST /api/v1/node-events/ and GET /api/v1/access-grants/check."""

import json
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import ServiceToken
from auditlog import services
from auditlog.models import NodeEvent
from policy.models import Breach
from tests.auditlog.conftest import make_event

URL = "/api/v1/node-events/"
pytestmark = pytest.mark.django_db


def _client(raw=None):
    client = APIClient()
    if raw:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_batch_is_stored_with_all_fields(node_token, alice):
    events = [make_event(alice, action=a) for a in ("create", "start", "resize")]
    response = _client(node_token).post(URL, events, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 3, "duplicates": [], "violations": []}
    stored = NodeEvent.objects.get(event_id=events[2]["event_id"])
    assert stored.customer_id == alice.pk
    assert stored.action == "resize"
    assert stored.actor_type == "customer"
    assert stored.source_ip == "203.0.113.7"
    assert stored.details == {"region": "bkk1"}
    assert stored.is_violation is False


def test_resent_events_are_reported_as_duplicates_and_not_stored_again(
    node_token, alice
):
    events = [make_event(alice), make_event(alice)]
    _client(node_token).post(URL, events, format="json")
    new = make_event(alice)
    response = _client(node_token).post(URL, [*events, new], format="json")
    assert response.status_code == 201
    assert response.json()["created"] == 1
    assert sorted(response.json()["duplicates"]) == sorted(
        e["event_id"] for e in events
    )
    assert NodeEvent.objects.count() == 3
    again = _client(node_token).post(URL, [new], format="json")
    assert again.status_code == 200
    assert again.json()["created"] == 0


def test_a_batch_with_one_bad_item_is_refused_whole_with_per_item_errors(
    node_token, alice
):
    good = make_event(alice)
    bad = make_event(alice, action="Explode!", event_id="not-a-uuid")
    response = _client(node_token).post(URL, [good, bad], format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert body["errors"][0] == {}
    assert set(body["errors"][1]) == {"action", "event_id"}
    assert NodeEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ([], "1"),
        ({"event_id": "x"}, "list"),
    ],
)
def test_empty_batch_or_object_is_refused(node_token, payload, fragment):
    response = _client(node_token).post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert NodeEvent.objects.count() == 0


def test_batch_over_1000_is_refused(node_token, alice):
    events = [make_event(alice) for _ in range(1001)]
    response = _client(node_token).post(URL, events, format="json")
    assert response.status_code == 400
    assert "1000" in json.dumps(response.json())
    assert NodeEvent.objects.count() == 0


def test_batch_of_1000_is_accepted(node_token, alice, django_assert_max_num_queries):
    events = [make_event(alice, node_id=f"node-{i % 7}") for i in range(1000)]
    # 8 for the batch, 10 for the two rate-limit counters in the database cache (per
    # counter, first call of a window: count, savepoint, select, insert, release).
    with django_assert_max_num_queries(18):
        response = _client(node_token).post(URL, events, format="json")
    assert response.status_code == 201
    assert NodeEvent.objects.count() == 1000


def test_malformed_json_is_a_400_json_answer(node_token):
    response = _client(node_token).post(
        URL, data="[{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_far_future_dates_are_refused(node_token, alice):
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = _client(node_token).post(
        URL, [make_event(alice, occurred_at=future)], format="json"
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()["errors"][0]


def test_unknown_customer_is_refused(node_token, alice):
    event = {**make_event(alice), "customer": alice.pk + 999}
    response = _client(node_token).post(URL, [event], format="json")
    assert response.status_code == 400
    assert "customer" in response.json()["errors"][0]


def test_oversized_details_are_refused(node_token, alice):
    event = make_event(alice, details={"blob": "x" * 5000})
    response = _client(node_token).post(URL, [event], format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer ost_wrong", "Token abc"])
def test_missing_or_wrong_token_is_refused(alice, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(URL, [make_event(alice)], format="json")
    assert response.status_code in (401, 403)
    assert response.json()["detail"]
    assert NodeEvent.objects.count() == 0


def test_token_without_the_scope_is_refused(check_token, alice):
    response = _client(check_token).post(URL, [make_event(alice)], format="json")
    assert response.status_code == 403
    assert NodeEvent.objects.count() == 0


def test_revoked_token_is_refused(alice):
    token, raw = ServiceToken.issue(name="old", scopes=["node-events"])
    token.revoked_at = timezone.now()
    token.save()
    response = _client(raw).post(URL, [make_event(alice)], format="json")
    assert response.status_code == 401


def test_signed_in_customer_session_cannot_post_events(client, alice):
    client.force_login(alice)
    response = client.post(URL, [make_event(alice)], content_type="application/json")
    assert response.status_code in (401, 403)


# --- Violations and grants ------------------------------------------------------------


def test_staff_console_access_without_grant_is_a_violation_emailed_to_privacy_officers(
    node_token,
    alice,
    support_agent,
    privacy_officer,
    auditor,
    django_capture_on_commit_callbacks,
):
    event = make_event(
        alice,
        action="console_access",
        actor={"type": "staff", "id": str(support_agent.pk)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(node_token).post(URL, [event], format="json")
    assert response.json()["violations"] == [event["event_id"]]
    assert NodeEvent.objects.get().is_violation is True
    # The violation, then the breach candidate it opened (policy, PDPA s.37(4)).
    assert [m.to for m in mail.outbox] == [[privacy_officer.email]] * 2
    assert event["node_id"] in mail.outbox[0].body
    assert mail.outbox[0].alternatives
    candidate = Breach.objects.get(is_candidate=True)
    assert candidate.source == "auditlog-violation"
    assert event["node_id"] in candidate.description
    assert list(candidate.affected_customers.all()) == [alice]
    assert reverse("admin:policy_breach_change", args=[candidate.pk]) in (
        mail.outbox[1].body
    )


def test_violation_email_is_in_the_officers_language(
    node_token, alice, privacy_officer, django_capture_on_commit_callbacks
):
    privacy_officer.language = "en"
    privacy_officer.save()
    event = make_event(alice, action="disk_access", actor={"type": "staff", "id": "9"})
    with django_capture_on_commit_callbacks(execute=True):
        _client(node_token).post(URL, [event], format="json")
    assert "without a grant" in mail.outbox[0].subject


def test_staff_access_covered_by_a_grant_is_not_a_violation(
    node_token,
    alice,
    alice_node,
    support_agent,
    privacy_officer,
    django_capture_on_commit_callbacks,
):
    grant = services.grant_access(
        alice, node_id=alice_node, reason="Fix boot", hours=2, staff=support_agent
    )
    event = make_event(
        alice,
        action="console_access",
        actor={"type": "staff", "id": str(support_agent.pk)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(node_token).post(URL, [event], format="json")
    assert response.json()["violations"] == []
    stored = NodeEvent.objects.get(event_id=event["event_id"])
    assert stored.grant_id == grant.pk
    assert not stored.is_violation
    assert mail.outbox == []


def test_staff_access_after_revocation_is_a_violation(
    node_token, alice, alice_node, support_agent
):
    grant = services.grant_access(
        alice, node_id=alice_node, reason="Fix boot", hours=2, staff=support_agent
    )
    services.revoke_grant(grant)
    event = make_event(
        alice,
        action="disk_access",
        actor={"type": "staff", "id": str(support_agent.pk)},
    )
    assert _client(node_token).post(URL, [event], format="json").json()["violations"]


def test_customer_console_access_is_never_a_violation(node_token, alice):
    event = make_event(alice, action="console_access")
    assert (
        _client(node_token).post(URL, [event], format="json").json()["violations"] == []
    )


def test_access_check_names_the_grant(check_token, alice, alice_node, support_agent):
    grant = services.grant_access(
        alice,
        node_id=alice_node,
        reason="Fix",
        hours=1,
        staff=support_agent,
        ticket_reference="T-42",
    )
    response = _client(check_token).get(
        "/api/v1/access-grants/check",
        {"node_id": alice_node, "staff_id": support_agent.pk},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["permitted"] is True
    assert body["grant"]["id"] == grant.pk
    assert body["grant"]["ticket_reference"] == "T-42"


def test_access_check_refuses_without_grant_or_for_non_staff(
    check_token, alice, alice_node, bob, support_agent
):
    services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=1, staff=support_agent
    )
    other_node = _client(check_token).get(
        "/api/v1/access-grants/check",
        {"node_id": "node-x", "staff_id": support_agent.pk},
    )
    assert other_node.json() == {"permitted": False, "grant": None, "break_glass": None}
    customer = _client(check_token).get(
        "/api/v1/access-grants/check", {"node_id": alice_node, "staff_id": bob.pk}
    )
    assert customer.json()["permitted"] is False


def test_access_check_after_expiry_is_refused(
    check_token, alice, alice_node, support_agent
):
    import time_machine

    services.grant_access(
        alice, node_id=alice_node, reason="Fix", hours=1, staff=support_agent
    )
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = _client(check_token).get(
            "/api/v1/access-grants/check",
            {"node_id": alice_node, "staff_id": support_agent.pk},
        )
    assert response.json()["permitted"] is False


@pytest.mark.parametrize(
    "query", [{}, {"node_id": "n"}, {"node_id": "n", "staff_id": "abc"}]
)
def test_access_check_bad_query_is_400(check_token, query):
    response = _client(check_token).get("/api/v1/access-grants/check", query)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_access_check_needs_its_scope(node_token, support_agent):
    response = _client(node_token).get(
        "/api/v1/access-grants/check", {"node_id": "n", "staff_id": support_agent.pk}
    )
    assert response.status_code == 403


def test_concurrent_style_resend_inside_one_batch_stores_once(node_token, alice):
    event = make_event(alice)
    response = _client(node_token).post(URL, [event, dict(event)], format="json")
    assert response.json()["created"] == 1
    assert response.json()["duplicates"] == [event["event_id"]]
    assert NodeEvent.objects.filter(event_id=uuid.UUID(event["event_id"])).count() == 1


def test_privacy_officer_group_exists_for_emails():
    assert roles.PRIVACY_OFFICER


def test_nul_characters_in_details_are_refused(node_token, alice):
    event = make_event(alice, details={"note": "a\u0000b"})
    response = _client(node_token).post(URL, [event], format="json")
    assert response.status_code == 400
    assert NodeEvent.objects.count() == 0
