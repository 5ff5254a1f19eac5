"""The customer's activity pages and access grants."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from auditlog import buffer, node_actions, services
from auditlog.models import AccessGrant, AccessLog, NodeEvent, SecurityEvent
from onespace.pagination import PER_PAGE
from tests.auditlog.conftest import make_ticket

pytestmark = pytest.mark.django_db


def _events(customer, node_id, actions, **extra):
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": node_id,
                "customer_id": customer.pk,
                "action": action,
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
                **extra,
            }
            for action in actions
        ]
    )


def test_activity_needs_sign_in(client):
    response = client.get(reverse("auditlog:node-event-list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_customer_sees_only_their_own_node_activity(client, alice, bob):
    _events(alice, "alice-node", ["create", "start"])
    _events(bob, "bob-node", ["reboot"])
    client.force_login(alice)
    response = client.get(reverse("auditlog:node-event-list"))
    html = response.content.decode()
    assert "alice-node" in html
    assert "bob-node" not in html


def test_node_activity_filters_by_node_and_action(client, alice):
    _events(alice, "n-one", ["create", "reboot"])
    _events(alice, "n-two", ["create"])
    client.force_login(alice)
    response = client.get(
        reverse("auditlog:node-event-list"), {"node": "n-one", "action": "reboot"}
    )
    page = response.context["page"]
    assert [(e.node_id, e.action) for e in page] == [("n-one", "reboot")]


def test_node_activity_shows_90_days_and_paginates(client, alice):
    with time_machine.travel(timezone.now() - timedelta(days=91)):
        _events(alice, "old-node", ["create"])
    _events(alice, "n", ["start"] * 60)
    client.force_login(alice)
    first = client.get(reverse("auditlog:node-event-list"))
    assert all(e.node_id != "old-node" for e in first.context["page"])
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"]) == PER_PAGE
    last = client.get(reverse("auditlog:node-event-list"), {"page": 3})
    assert len(last.context["page"]) == 60 - 2 * PER_PAGE


def test_pages_are_in_thai_by_default_and_english_on_request(client, alice):
    client.force_login(alice)
    thai = client.get(reverse("auditlog:node-event-list")).content.decode()
    assert "กิจกรรมของโหนด" in thai
    client.cookies["onespace_language"] = "en"
    english = client.get(reverse("auditlog:node-event-list")).content.decode()
    assert "Node activity" in english


def test_sign_in_history_shows_own_events_only(client, alice, bob):
    client.force_login(bob)
    client.force_login(alice)  # force_login sends user_logged_in
    buffer.flush()
    response = client.get(reverse("auditlog:security-event-list"))
    events = list(response.context["page"])
    assert {e.user_id for e in events} == {alice.pk}
    assert events[0].action == SecurityEvent.Action.SIGN_IN


def test_access_history_lists_the_customers_requests(client, alice):
    client.force_login(alice)
    client.get(
        reverse("auditlog:node-event-list"),
        HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    )
    buffer.flush()
    response = client.get(reverse("auditlog:access-log-list"))
    html = response.content.decode()
    assert "Firefox 121.0" in html
    assert "/activity/" in html
    assert AccessLog.objects.filter(user=alice).exists()


# --- Grants ---------------------------------------------------------------------------


def test_grant_form_is_prefilled_from_the_ticket_link(client, alice, support_agent):
    _events(alice, "node-7", ["create"])
    ticket = make_ticket(alice, assignee=support_agent, node_id="node-7")
    client.force_login(alice)
    response = client.get(
        reverse("auditlog:grant-create"),
        {"node_id": "node-7", "ticket": ticket.reference},
    )
    form = response.context["form"]
    assert form.initial == {"node_id": "node-7", "who": f"ticket:{ticket.pk}"}
    html = response.content.decode()
    assert ticket.reference in html
    # The staff member by role and number, never by name.
    assert f"#{support_agent.pk}" in html
    assert support_agent.full_name not in html
    assert support_agent.email not in html


def test_customer_grants_and_revokes_access(client, alice, support_agent):
    _events(alice, "node-7", ["create"])
    ticket = make_ticket(alice, assignee=support_agent, node_id="node-7")
    client.force_login(alice)
    response = client.post(
        reverse("auditlog:grant-create"),
        {
            "node_id": "node-7",
            "who": f"staff:{support_agent.pk}:{ticket.pk}",
            "actions": ["console_access"],
            "hours": 24,
            "reason": "Please fix the boot loader",
        },
    )
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert grant.customer == alice
    assert grant.staff == support_agent
    assert grant.ticket_id is None
    assert grant.ticket_reference == ticket.reference
    assert grant.actions == ["console_access"]
    assert grant.expires_at - grant.starts_at == timedelta(hours=24)
    assert grant.is_active
    response = client.post(reverse("auditlog:grant-revoke", args=[grant.pk]))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert not grant.is_active


def test_customer_grants_access_to_the_team_of_a_ticket(client, alice, support_agent):
    _events(alice, "node-7", ["create"])
    ticket = make_ticket(alice, assignee=support_agent, node_id="node-7")
    client.force_login(alice)
    response = client.post(
        reverse("auditlog:grant-create"),
        {
            "node_id": "node-7",
            "who": f"ticket:{ticket.pk}",
            "hours": 2,
            "reason": "Look at the disk",
        },
    )
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert (grant.staff, grant.ticket_id, grant.actions) == (None, ticket.pk, [])
    assert grant.scope == sorted(
        NodeEvent.INTERNAL_ACCESS, key=[a.slug for a in node_actions.TABLE].index
    )


@pytest.mark.parametrize(
    "who",
    [
        "staff:{staff}:{ticket}x",
        "ticket:999999",
        "staff:{other}:{ticket}",
        "nobody",
        "",
    ],
)
def test_grant_to_staff_or_ticket_not_of_the_customer_is_refused(
    client, alice, bob, support_agent, auditor, who
):
    _events(alice, "node-7", ["create"])
    ticket = make_ticket(alice, assignee=support_agent, node_id="node-7")
    make_ticket(bob, assignee=auditor)
    client.force_login(alice)
    response = client.post(
        reverse("auditlog:grant-create"),
        {
            "node_id": "node-7",
            "who": who.format(
                staff=support_agent.pk, ticket=ticket.pk, other=auditor.pk
            ),
            "hours": 2,
            "reason": "x",
        },
    )
    assert response.status_code == 400
    assert "who" in response.context["form"].errors
    assert not AccessGrant.objects.exists()


def test_a_grant_to_staff_who_left_is_refused_with_a_message(
    client, alice, support_agent
):
    _events(alice, "node-7", ["create"])
    ticket = make_ticket(alice, assignee=support_agent, node_id="node-7")
    support_agent.is_active = False
    support_agent.save()
    client.force_login(alice)
    response = client.post(
        reverse("auditlog:grant-create"),
        {
            "node_id": "node-7",
            "who": f"staff:{support_agent.pk}:{ticket.pk}",
            "hours": 2,
            "reason": "x",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not AccessGrant.objects.exists()


def test_grant_form_without_a_ticket_says_to_file_one(client, alice):
    _events(alice, "node-7", ["create"])
    client.force_login(alice)
    response = client.get(reverse("auditlog:grant-create"))
    assert response.status_code == 200
    assert '<form method="post"' not in response.content.decode()


def test_service_refuses_grants_naming_nobody_both_or_a_customer(
    alice, bob, support_agent
):
    from django.core.exceptions import ValidationError

    _events(alice, "alice-node", ["create"])
    ticket = make_ticket(alice, assignee=support_agent, node_id="alice-node")
    for who in ({}, {"staff": support_agent, "ticket_id": ticket.pk}, {"staff": bob}):
        with pytest.raises(ValidationError):
            services.grant_access(
                alice, node_id="alice-node", reason="x", hours=1, **who
            )
    with pytest.raises(ValidationError):
        services.grant_access(
            alice,
            node_id="alice-node",
            reason="x",
            hours=1,
            staff=support_agent,
            actions=["reboot"],
        )
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("hours", [0, 73, 1000])
def test_grant_longer_than_72_hours_is_refused(client, alice, hours):
    _events(alice, "node-7", ["create"])
    client.force_login(alice)
    ticket = make_ticket(alice, node_id="node-7")
    response = client.post(
        reverse("auditlog:grant-create"),
        {
            "node_id": "node-7",
            "who": f"ticket:{ticket.pk}",
            "hours": hours,
            "reason": "x",
        },
    )
    assert response.status_code == 400
    assert "hours" in response.context["form"].errors
    assert not AccessGrant.objects.exists()


def test_grant_for_someone_elses_node_is_refused(client, alice, bob):
    _events(bob, "bob-node", ["create"])
    _events(alice, "alice-node", ["create"])
    ticket = make_ticket(alice, node_id="alice-node")
    client.force_login(alice)
    response = client.post(
        reverse("auditlog:grant-create"),
        {
            "node_id": "bob-node",
            "who": f"ticket:{ticket.pk}",
            "hours": 1,
            "reason": "x",
        },
    )
    assert response.status_code == 400
    assert "node_id" in response.context["form"].errors
    assert not AccessGrant.objects.exists()


def test_service_refuses_long_or_foreign_grants(alice, bob, support_agent):
    from django.core.exceptions import ValidationError

    _events(bob, "bob-node", ["create"])
    _events(alice, "alice-node", ["create"])
    with pytest.raises(ValidationError):
        services.grant_access(
            alice, node_id="alice-node", reason="x", hours=73, staff=support_agent
        )
    with pytest.raises(ValidationError):
        services.grant_access(
            alice, node_id="bob-node", reason="x", hours=1, staff=support_agent
        )
    assert not AccessGrant.objects.exists()


def test_customer_cannot_revoke_someone_elses_grant(client, alice, bob, support_agent):
    _events(bob, "bob-node", ["create"])
    grant = services.grant_access(
        bob, node_id="bob-node", reason="x", hours=1, staff=support_agent
    )
    client.force_login(alice)
    response = client.post(reverse("auditlog:grant-revoke", args=[grant.pk]))
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_revoke_needs_post(client, alice, support_agent):
    _events(alice, "n", ["create"])
    grant = services.grant_access(
        alice, node_id="n", reason="x", hours=1, staff=support_agent
    )
    client.force_login(alice)
    assert (
        client.get(reverse("auditlog:grant-revoke", args=[grant.pk])).status_code == 405
    )


def test_grant_list_shows_only_own_grants(client, alice, bob, support_agent):
    _events(bob, "bob-node", ["create"])
    services.grant_access(
        bob, node_id="bob-node", reason="bob's reason", hours=1, staff=support_agent
    )
    client.force_login(alice)
    assert (
        "bob&#x27;s reason"
        not in client.get(reverse("auditlog:grant-list")).content.decode()
    )


def test_nav_links_to_activity(client, alice):
    client.force_login(alice)
    html = client.get(reverse("auditlog:grant-list")).content.decode()
    assert f'href="{reverse("auditlog:node-event-list")}"' in html


def test_node_activity_is_dated_in_the_buddhist_era_and_bangkok_time(client, alice):
    # 17:30 UTC on 24 November is 00:30 the next day in Bangkok.
    with time_machine.travel(datetime(2026, 11, 24, 17, 30, tzinfo=UTC), tick=False):
        _events(alice, "n-one", ["create"])
    client.force_login(alice)
    html = client.get(reverse("auditlog:node-event-list")).content.decode()
    assert "25 พฤศจิกายน 2569 00:30:00" in html
