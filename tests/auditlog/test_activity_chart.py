"""The chart above the customer's node activity: their own sign-ins and node events per day."""

import re
import uuid
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from auditlog import buffer, services
from auditlog.models import SecurityEvent
from onespace import charts

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=charts.BANGKOK)


def _node(customer, at, action="start"):
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": at,
                "node_id": f"node-{customer.pk}",
                "customer_id": customer.pk,
                "action": action,
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
        ]
    )


def _sign_in(user, at):
    buffer.record(
        "security",
        {
            "occurred_at": at,
            "action": SecurityEvent.Action.SIGN_IN,
            "user_id": user.pk,
            "attempted_email": "",
            "ip": "203.0.113.7",
            "raw_ip": "",
            "user_agent": "test",
        },
    )


def _rows(html):
    figure = html.split('id="activity-chart"', 1)[1].split("</figure>", 1)[0]
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return {
        label.strip(): [int(n) for n in re.findall(r"<td>(\d+)</td>", cells)]
        for label, cells in re.findall(
            r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', body, re.S
        )
    }


@time_machine.travel(NOW, tick=False)
def test_chart_counts_own_node_events_and_sign_ins_per_day(client, alice, bob):
    for _ in range(3):
        _node(alice, NOW)
    _node(alice, NOW - timedelta(days=2))
    _node(alice, NOW - timedelta(days=91))  # older than the history
    _node(bob, NOW)  # someone else's
    _sign_in(alice, NOW - timedelta(days=2))
    _sign_in(alice, NOW - timedelta(days=2))
    _sign_in(bob, NOW)
    buffer.flush()
    client.force_login(alice)
    buffer.clear()  # force_login's own sign-in stays out of the counts
    html = client.get(reverse("auditlog:node-event-list")).content.decode()
    # The chart comes before the table of events, and is labelled for screen readers.
    assert html.index('id="activity-chart"') < html.index("filter-form")
    assert 'role="img" aria-label="' in html
    rows = _rows(html)
    assert len(rows) == 90
    assert rows["20 พ.ย. 2569"] == [3, 0]
    assert rows["18 พ.ย. 2569"] == [1, 2]
    assert sum(r[0] for r in rows.values()) == 4
    assert sum(r[1] for r in rows.values()) == 2


@time_machine.travel(NOW, tick=False)
def test_chart_is_two_queries(client, alice, django_assert_num_queries):
    client.force_login(alice)
    client.get(reverse("auditlog:node-event-list"))
    for _ in range(5):
        _node(alice, NOW)
    with django_assert_num_queries(NUM_QUERIES):
        client.get(reverse("auditlog:node-event-list"))


# Session, user, the customer's nodes (filter form), the page count, the two chart
# queries, the page of events, the break-glass accesses the customer may see (issue
# 17): fixed whatever the number of events.
NUM_QUERIES = 8
