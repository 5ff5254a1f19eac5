"""Every customer list is shown a page at a time, in a stable order, with a translated pager."""

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from auditlog import services as auditlog
from auditlog.models import AccessGrant
from billing import services as billing
from billing.models import VatRate
from onespace.pagination import PER_PAGE
from policy.models import DataExport
from support import services as support
from tests.factories import BillingProfileFactory

EXTRA = 3  # rows on the last page
# Inside the 90 days the activity pages show.
NOW = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)


def _documents(customer) -> None:
    VatRate.objects.get_or_create(
        valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal("7.00")}
    )
    profile = BillingProfileFactory(customer=customer)
    line = billing.LineInput("Cloud server", Decimal(1), Decimal("100.00"))
    for _ in range(PER_PAGE + EXTRA):
        billing.create_billing_note(profile, lines=[line])


def _tickets(customer) -> None:
    for number in range(PER_PAGE + EXTRA):
        support.file_ticket(
            customer, kind="enquiry", subject=f"Question {number}", message="Hello"
        )


def _exports(customer) -> None:
    DataExport.objects.bulk_create(
        DataExport(customer=customer, requested_at=NOW, ready_at=NOW)
        for _ in range(PER_PAGE + EXTRA)
    )


def _node_events(customer, node_id: str = "n-1") -> None:
    auditlog.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": node_id,
                "customer_id": customer.pk,
                "action": "reboot",
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
            for _ in range(PER_PAGE + EXTRA)
        ]
    )


def _grants(customer) -> None:
    AccessGrant.objects.bulk_create(
        AccessGrant(
            customer=customer,
            node_id="n-1",
            reason="Disk check",
            starts_at=NOW,
            expires_at=NOW + datetime.timedelta(hours=1),
            created_at=NOW,
        )
        for _ in range(PER_PAGE + EXTRA)
    )


LISTS = {
    "billing:document-list": _documents,
    "support:ticket-list": _tickets,
    "policy:export": _exports,
    "auditlog:grant-list": _grants,
    "auditlog:node-event-list": _node_events,
}


@pytest.mark.parametrize("url_name", LISTS)
def test_list_pages_through_every_row_once_in_a_stable_order(client, alice, url_name):
    # Every row is made in the same instant: only the primary key can order them.
    with time_machine.travel(NOW, tick=False):
        LISTS[url_name](alice)
    client.force_login(alice)
    first = client.get(reverse(url_name))
    assert first.status_code == 200
    page = first.context["page"]
    assert page.paginator.count == PER_PAGE + EXTRA
    assert len(page) == PER_PAGE
    last = client.get(reverse(url_name), {"page": 2})
    seen = [row.pk for row in page] + [row.pk for row in last.context["page"]]
    assert seen == sorted(seen, reverse=True)  # newest first, then by id
    assert len(set(seen)) == PER_PAGE + EXTRA
    # The same page asked for again is the same rows (nothing moves between pages).
    again = client.get(reverse(url_name), {"page": 2})
    assert [row.pk for row in again.context["page"]] == seen[PER_PAGE:]


@pytest.mark.parametrize("url_name", LISTS)
def test_pager_speaks_thai_and_english(client, alice, url_name):
    with time_machine.travel(NOW, tick=False):
        LISTS[url_name](alice)
    client.force_login(alice)
    thai = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert "หน้า 1 จาก 2" in thai
    assert "เก่ากว่า" in thai
    assert "?page=2" in thai
    english = client.get(
        reverse(url_name), {"page": 2}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Page 2 of 2" in english
    assert "Newer" in english


def test_a_page_past_the_end_or_not_a_number_is_a_page_not_an_error(client, alice):
    with time_machine.travel(NOW, tick=False):
        _tickets(alice)
    client.force_login(alice)
    past = client.get(reverse("support:ticket-list"), {"page": 99})
    assert past.status_code == 200
    assert past.context["page"].number == 2
    junk = client.get(reverse("support:ticket-list"), {"page": "x' OR 1=1"})
    assert junk.status_code == 200
    assert junk.context["page"].number == 1


def test_a_short_list_has_no_pager(client, alice):
    support.file_ticket(alice, kind="enquiry", subject="One", message="Hello")
    client.force_login(alice)
    body = client.get(reverse("support:ticket-list")).content.decode()
    assert "One" in body
    assert 'class="pagination"' not in body


def test_filters_survive_the_pager(client, alice):
    with time_machine.travel(NOW, tick=False):
        _node_events(alice, "n-one")
    client.force_login(alice)
    body = client.get(
        reverse("auditlog:node-event-list"), {"node": "n-one", "page": 1}
    ).content.decode()
    assert "?node=n-one&amp;page=2" in body
