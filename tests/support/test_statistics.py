"""Policy 1.4 improvement figures, computed on tickets with known times."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from support import services
from support.models import Ticket

BANGKOK = ZoneInfo("Asia/Bangkok")


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BANGKOK)


def answered(
    customer, staff, *, filed, answered_after=None, resolved_after=None, **kwargs
):
    with time_machine.travel(filed, tick=False):
        ticket = services.file_ticket(
            customer,
            subject="s",
            message="m",
            kind=kwargs.pop("kind", "problem"),
            **kwargs,
        )
    if answered_after is not None:
        with time_machine.travel(filed + answered_after, tick=False):
            services.add_internal_note(ticket, author=staff, body="looking")
            services.add_staff_reply(ticket, author=staff, body="answer")
    if resolved_after is not None:
        with time_machine.travel(filed + resolved_after, tick=False):
            services.change_state(ticket, by=staff, state=Ticket.State.RESOLVED)
    return ticket


def known_data(alice, support_agent):
    h = timedelta(hours=1)
    # January (Bangkok time): three problem reports, one enquiry.
    answered(
        alice,
        support_agent,
        filed=at("2026-01-05"),
        answered_after=1 * h,
        resolved_after=10 * h,
    )
    answered(
        alice,
        support_agent,
        filed=at("2026-01-06"),
        answered_after=3 * h,
        resolved_after=20 * h,
    )
    answered(alice, support_agent, filed=at("2026-01-07"), answered_after=8 * h)
    answered(alice, support_agent, filed=at("2026-01-08"), kind="enquiry")
    # 1 February 01:00 in Bangkok is still 31 January in UTC: it counts for February.
    answered(
        alice,
        support_agent,
        filed=at("2026-02-01", hour=1),
        kind="privacy",
        privacy_right="access",
        answered_after=2 * h,
        resolved_after=48 * h,
    )
    answered(
        alice,
        support_agent,
        filed=at("2026-02-10"),
        kind="billing",
        answered_after=6 * h,
    )


def test_tickets_per_kind_per_month(alice, support_agent):
    known_data(alice, support_agent)
    report = Ticket.objects.statistics()
    assert [row.month.isoformat() for row in report.months] == [
        "2026-01-01",
        "2026-02-01",
    ]
    january, february = report.months
    assert january.count("problem") == 3
    assert january.count("enquiry") == 1
    assert january.count("privacy") == 0
    assert january.total == 4
    assert february.count("privacy") == 1
    assert february.count("billing") == 1
    assert february.total == 2


def test_median_times_to_first_response_and_resolution(alice, support_agent):
    known_data(alice, support_agent)
    report = Ticket.objects.statistics()
    january, february = report.months
    # January responses 1 h, 3 h, 8 h (the enquiry is unanswered): median 3 h.
    assert january.median_first_response == timedelta(hours=3)
    # January resolutions 10 h and 20 h: median 15 h.
    assert january.median_resolution == timedelta(hours=15)
    assert january.median_resolution_hours == 15.0
    assert february.median_first_response == timedelta(hours=4)
    assert february.median_resolution == timedelta(hours=48)
    # All months: responses 1, 2, 3, 6, 8 h -> 3 h; resolutions 10, 20, 48 h -> 20 h.
    assert report.median_first_response == timedelta(hours=3)
    assert report.median_resolution == timedelta(hours=20)


def test_no_tickets_no_figures(db):
    report = Ticket.objects.statistics()
    assert report.months == []
    assert report.median_first_response is None
    assert report.median_resolution is None


def test_statistics_survive_the_retention_purge(alice, support_agent):
    known_data(alice, support_agent)
    before = Ticket.objects.statistics()
    for ticket in Ticket.objects.all():
        services.change_state(ticket, by=support_agent, state=Ticket.State.CLOSED)
    with time_machine.travel(at("2030-01-01"), tick=False):
        from support.privacy import TicketData

        assert TicketData.purge_expired(datetime.now(tz=BANGKOK)) == 6
    after = Ticket.objects.statistics()
    assert [r.counts for r in after.months] == [r.counts for r in before.months]
    assert after.median_first_response == before.median_first_response


def test_statistics_page_for_support_staff(staff_client, support_agent, alice):
    known_data(alice, support_agent)
    client = staff_client(support_agent)
    response = client.get(reverse("admin:support_ticket_statistics"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ม.ค. 2569" in page  # months in the Buddhist era
    assert '<td id="median-first-response">3.0</td>' in page
    assert '<td id="median-resolution">20.0</td>' in page
    changelist = client.get(reverse("admin:support_ticket_changelist")).content.decode()
    assert reverse("admin:support_ticket_statistics") in changelist


def test_statistics_page_refused_to_finance(staff_client, finance):
    response = staff_client(finance).get(reverse("admin:support_ticket_statistics"))
    assert response.status_code == 403


def test_customers_who_object_to_analysis_are_left_out(
    alice, bob, support_agent, privacy_officer, staff_client
):
    from policy import services as policy_services

    answered(
        alice, support_agent, filed=at("2026-01-05"), answered_after=timedelta(hours=1)
    )
    answered(
        bob, support_agent, filed=at("2026-01-06"), answered_after=timedelta(hours=1)
    )
    policy_services.record_objection(bob, purpose="analytics")
    response = staff_client(privacy_officer).get(
        reverse("admin:support_ticket_statistics")
    )
    assert response.status_code == 200
    (january,) = response.context["report"].months
    assert january.total == 1  # Alice's; Bob objected (PDPA s.32)
