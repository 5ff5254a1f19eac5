"""Fixtures of the audit log tests: an empty buffer, service tokens, node ownership."""

import uuid

import pytest
from django.utils import timezone

from accounts.models import ServiceToken
from auditlog import buffer, services


@pytest.fixture(autouse=True)
def _empty_buffer():
    """Records left by earlier tests (any app's requests) are not this test's."""
    buffer.clear()
    yield
    buffer.clear()


@pytest.fixture
def node_token(db):
    _token, raw = ServiceToken.issue(name="control plane", scopes=["node-events"])
    return raw


@pytest.fixture
def check_token(db):
    _token, raw = ServiceToken.issue(name="control plane", scopes=["access-check"])
    return raw


def make_event(customer, **overrides):
    event = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": timezone.now().isoformat(),
        "node_id": "node-1",
        "customer": customer.pk,
        "action": "start",
        "actor": {"type": "customer", "id": str(customer.pk)},
        "source_ip": "203.0.113.7",
        "details": {"region": "bkk1"},
    }
    event.update(overrides)
    return event


@pytest.fixture
def alice_node(alice):
    """node-1 belongs to Alice: the control plane reported its creation."""
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "node-1",
                "customer_id": alice.pk,
                "action": "create",
                "actor_type": "customer",
                "actor_id": str(alice.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
        ]
    )
    return "node-1"


def make_ticket(customer, *, assignee=None, node_id="node-1", state="open"):
    """A support ticket of ``customer`` (grants may name the team working on one)."""
    from support.models import Ticket

    return Ticket.objects.create(
        customer=customer,
        kind=Ticket.Kind.PROBLEM,
        subject="Node does not boot",
        node_id=node_id,
        assignee=assignee,
        state=state,
    )
