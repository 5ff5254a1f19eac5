"""Every customer page stays within 10 queries, however long the customer's history."""

import datetime
import uuid

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation

from auditlog import chain
from auditlog import services as auditlog
from auditlog.models import AccessLog, NodeEvent, SecurityEvent
from billing.models import Document
from onespace.pagination import PER_PAGE
from policy import registry as registry_module
from policy.registry import holdings, preview_rows, registry
from support import services as support
from support.models import Ticket
from tests.policy.conftest import seed_personal_data

pytestmark = pytest.mark.django_db

BUDGET = 10
# Queries per page for a busy customer, warm caches: session and user are the first two.
# A list is a count and a page; /privacy/my-data/ is one count for every category and
# one preview for every category (each exports through ``export_rows``), plus the
# sessions it decodes and the pending closure, however many categories hold data.
PAGES = {
    "accounts:home": 2,
    "accounts:profile": 2,
    "policy:notice": 4,
    "policy:my-privacy": 5,
    "policy:my-data": 6,
    "policy:export": 4,
    "policy:close-account": 3,
    # + the 90-day chart (node events, sign-ins) + the staff labels ("Support #12")
    # + the break-glass accesses the customer may see
    "auditlog:node-event-list": 9,
    "auditlog:security-event-list": 4,
    "auditlog:access-log-list": 4,
    "auditlog:grant-list": 5,  # + the uses of the page's grants
    "auditlog:grant-create": 4,  # + the customer's open tickets
    "billing:overview": 6,
    "billing:profile-list": 3,
    "billing:document-list": 6,
    "support:ticket-list": 4,
    "support:ticket-create": 2,
    "billing:document-detail": 8,  # + the e-Tax XML
    "support:ticket-detail": 5,
}


@pytest.fixture
def busy_alice(alice, privacy_officer):
    """Alice with data in every category and more rows than a page in the long lists."""
    seed_personal_data(
        alice,
        ip="203.0.113.10",
        node="node-a11ce",
        legal_name="บริษัท อลิซ คลาวด์ จำกัด",
        tax_id="0107536000315",
    )
    now = timezone.now()
    auditlog.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": now - datetime.timedelta(minutes=n),
                "node_id": f"node-{n % 3}",
                "customer_id": alice.pk,
                "action": ["start", "stop", "reboot", "console_access"][n % 4],
                "actor_type": ["customer", "staff", "system"][n % 3],
                "actor_id": "7",
                "source_ip": "203.0.113.7",
                "details": {},
            }
            for n in range(2 * PER_PAGE)
        ]
    )
    for kind, rows in (
        (
            AccessLog,
            {
                "user_id": alice.pk,
                "ip": "203.0.113.10",
                "browser_family": "Chrome",
                "method": "GET",
                "path": "/billing/",
                "status": 200,
                "duration_ms": 5,
            },
        ),
        (
            SecurityEvent,
            {
                "action": SecurityEvent.Action.SIGN_IN,
                "user_id": alice.pk,
                "attempted_email": alice.email,
                "ip": "203.0.113.10",
                "subject_id": None,
                "object_label": "",
            },
        ),
    ):
        chain.append(kind, [{"occurred_at": now, **rows}] * (2 * PER_PAGE))
    for number in range(PER_PAGE + 1):
        support.file_ticket(alice, kind="enquiry", subject=f"Q{number}", message="Hi")
    return alice


def _url(name: str, customer) -> str:
    if name == "billing:document-detail":
        return Document.objects.filter(customer=customer).first().get_absolute_url()
    if name == "support:ticket-detail":
        return Ticket.objects.filter(customer=customer).first().get_absolute_url()
    return reverse(name)


@pytest.mark.parametrize(("name", "queries"), PAGES.items())
def test_customer_page_stays_within_its_query_budget(
    client, busy_alice, django_assert_num_queries, name, queries
):
    assert queries <= BUDGET
    client.force_login(busy_alice)
    url = _url(name, busy_alice)
    client.get(url)  # warm the process caches (content types, notice versions)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200


def test_my_data_previews_match_each_categorys_own_preview(busy_alice):
    for row in holdings(busy_alice):
        category = row["category"]
        assert row["count"] == category.for_subject(busy_alice).count(), category.key
        assert row["preview"] == preview_rows(category, busy_alice), category.key
    assert len(holdings(busy_alice)) == len(registry)


def test_activity_labels_are_translated_without_rebuilding_the_choices(
    client, busy_alice, monkeypatch
):
    rebuilt = []
    flatchoices = models.Field.flatchoices

    def counting(field):
        rebuilt.append(field.name)
        return flatchoices.fget(field)

    monkeypatch.setattr(models.Field, "flatchoices", property(counting))
    client.force_login(busy_alice)
    thai = client.get(reverse("auditlog:node-event-list"), HTTP_ACCEPT_LANGUAGE="th")
    english = client.get(reverse("auditlog:node-event-list"), HTTP_ACCEPT_LANGUAGE="en")
    signins = client.get(reverse("auditlog:security-event-list"))
    assert "รีบูต" in thai.content.decode() or "เริ่ม" in thai.content.decode()
    assert "Rebooted" in english.content.decode()
    assert signins.status_code == 200
    # The filter forms list the choices once; the rows must not rebuild them per row.
    assert rebuilt.count("action") <= 6
    assert "actor_type" not in rebuilt
    with translation.override("en"):
        assert NodeEvent(action="reboot").get_action_display() == "Rebooted"
        assert NodeEvent(action="gone").get_action_display() == "gone"


@pytest.fixture
def bob_data(bob, privacy_officer):
    seed_personal_data(
        bob,
        ip="198.51.100.20",
        node="node-b0bb0",
        legal_name="บ็อบ โจนส์ เทรดดิ้ง",
        tax_id="3100600445635",
    )
    return bob


def test_my_data_compiles_once_and_answers_for_each_customer(busy_alice, bob_data):
    """The parts compiled for the first customer are the SQL of every other one, with
    that customer's id and address in place (lockouts and the admin log by address)."""
    registry_module._PARTS.clear()
    for customer in (busy_alice, bob_data, busy_alice):
        for row in holdings(customer):
            category = row["category"]
            expected = category.for_subject(customer).count()
            assert row["count"] == expected, (customer.email, category.key)
            assert row["preview"] == preview_rows(category, customer), category.key
    compiled = [part for part in registry_module._PARTS.values() if part]
    assert len(compiled) >= len(registry)  # a count and a preview for most categories
    assert {row["count"] for row in holdings(bob_data)} != {0}
    # Without an address for_subject takes other branches (the admin log then matches
    # by id alone, not every entry through an empty pattern).
    type(bob_data).objects.filter(pk=bob_data.pk).update(email="")
    bob_data.refresh_from_db()
    for row in holdings(bob_data):
        assert row["count"] == row["category"].for_subject(bob_data).count()
