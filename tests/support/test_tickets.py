"""Customers file tickets, follow the thread, reply and close; bad input stores nothing."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import models
from django.urls import reverse
from django.utils import translation

from support import services
from support.models import Attachment, Message, Ticket
from tests.support.conftest import PDF_BYTES, upload

BANGKOK = ZoneInfo("Asia/Bangkok")


def create_url() -> str:
    return reverse("support:ticket-create")


def test_customer_files_a_problem_report_with_an_attachment(client, alice, png):
    client.force_login(alice)
    response = client.post(
        create_url(),
        {
            "kind": "problem",
            "subject": "Node will not boot",
            "message": "It stops at the boot loader.",
            "node_id": "node-7f3a",
            "attachments": [png],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.customer == alice
    assert ticket.node_id == "node-7f3a"
    assert ticket.state == Ticket.State.OPEN
    assert ticket.due_on is None  # only privacy requests run on the PDPA clock
    assert ticket.messages.get().body == "It stops at the boot loader."
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "screenshot.png"


def test_ticket_reference_is_padded_number(alice, file_ticket):
    ticket = file_ticket(alice)
    assert ticket.reference == f"T-{ticket.pk:06d}"
    # Whatever the sequence has reached (PostgreSQL does not roll it back between tests).
    assert Ticket(pk=7).reference == "T-000007"


def test_ticket_list_shows_only_own_tickets(client, alice, bob, file_ticket):
    file_ticket(alice, subject="Alice's question")
    file_ticket(bob, subject="Bob's question")
    client.force_login(alice)
    response = client.get(reverse("support:ticket-list"))
    assert response.status_code == 200
    assert "Alice&#x27;s question" in response.content.decode()
    assert "Bob" not in response.content.decode()


def test_another_customers_ticket_is_404(client, alice, bob, file_ticket):
    ticket = file_ticket(bob)
    client.force_login(alice)
    assert client.get(ticket.get_absolute_url()).status_code == 404
    reply = client.post(
        reverse("support:ticket-reply", args=[ticket.pk]), {"message": "hi"}
    )
    assert reply.status_code == 404
    close = client.post(
        reverse("support:ticket-state", args=[ticket.pk]), {"state": "closed"}
    )
    assert close.status_code == 404
    assert ticket.messages.count() == 1
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.OPEN


def test_pages_require_sign_in(client, alice, file_ticket):
    ticket = file_ticket(alice)
    response = client.get(ticket.get_absolute_url())
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("subject", ""), ("subject", "   "), ("message", ""), ("message", "  \n ")],
)
def test_empty_subject_or_message_is_refused(client, alice, field, value):
    client.force_login(alice)
    data = {"kind": "enquiry", "subject": "Hello", "message": "A question"}
    data[field] = value
    response = client.post(create_url(), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors[field] == ["This field is required."]
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()


def test_error_is_translated_to_thai(client, alice):
    client.force_login(alice)
    response = client.post(
        create_url(), {"kind": "enquiry", "subject": "", "message": "x"}
    )
    assert response.context["form"].errors["subject"] == ["ฟิลด์นี้จำเป็น"]


@pytest.mark.parametrize(
    "node_id", ["../../etc/passwd", "a", "node 7f3a", "<script>", "x" * 80]
)
def test_implausible_node_id_is_refused(client, alice, node_id):
    client.force_login(alice)
    response = client.post(
        create_url(),
        {"kind": "problem", "subject": "s", "message": "m", "node_id": node_id},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "node_id" in response.context["form"].errors
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "node_id", ["node-7f3a", "3f2b1c9e-5d4a-4e8b-9c1d-2a3b4c5d6e7f", "web_01.bkk"]
)
def test_plausible_node_ids_are_accepted(client, alice, node_id):
    client.force_login(alice)
    client.post(
        create_url(),
        {"kind": "problem", "subject": "s", "message": "m", "node_id": node_id},
    )
    assert Ticket.objects.get().node_id == node_id


def test_privacy_request_needs_its_right(client, alice):
    client.force_login(alice)
    response = client.post(
        create_url(),
        {"kind": "privacy", "subject": "My data", "message": "Please"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "privacy_right" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_privacy_right_is_dropped_for_other_kinds(client, alice):
    client.force_login(alice)
    client.post(
        create_url(),
        {
            "kind": "enquiry",
            "privacy_right": "erasure",
            "subject": "s",
            "message": "m",
        },
    )
    assert Ticket.objects.get().privacy_right == ""


def test_privacy_request_is_due_30_days_after_filing(client, alice):
    # 23:30 in Bangkok on 31 January is still 31 January there (16:30 UTC).
    with time_machine.travel(datetime(2026, 1, 31, 23, 30, tzinfo=BANGKOK), tick=False):
        client.force_login(alice)
        client.post(
            create_url(),
            {
                "kind": "privacy",
                "privacy_right": "erasure",
                "subject": "Erase me",
                "message": "Please erase my data.",
            },
        )
    ticket = Ticket.objects.get()
    assert ticket.privacy_right == Ticket.PrivacyRight.ERASURE
    assert ticket.due_on == date(2026, 3, 2)


def test_overdue_privacy_requests(alice, file_ticket):
    with time_machine.travel(datetime(2026, 1, 1, 10, tzinfo=BANGKOK), tick=False):
        late = file_ticket(alice, kind="privacy", privacy_right="access")
        done = file_ticket(alice, kind="privacy", privacy_right="erasure")
    with time_machine.travel(datetime(2026, 1, 20, 10, tzinfo=BANGKOK), tick=False):
        fresh = file_ticket(alice, kind="privacy", privacy_right="portability")
    Ticket.objects.filter(pk=done.pk).update(state=Ticket.State.RESOLVED)
    with time_machine.travel(datetime(2026, 1, 31, 10, tzinfo=BANGKOK), tick=False):
        assert list(Ticket.objects.overdue()) == []
        late.refresh_from_db()
        assert not late.is_overdue
    with time_machine.travel(datetime(2026, 2, 1, 10, tzinfo=BANGKOK), tick=False):
        assert list(Ticket.objects.overdue()) == [late]
        late.refresh_from_db()
        assert late.is_overdue
        assert list(Ticket.objects.by_urgency()) == [late, fresh, done]


def test_customer_replies_and_ticket_waits_on_staff(client, alice, file_ticket):
    ticket = file_ticket(alice)
    client.force_login(alice)
    response = client.post(
        reverse("support:ticket-reply", args=[ticket.pk]), {"message": "More details"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.WAITING_ON_STAFF
    assert list(ticket.messages.values_list("body", flat=True)) == [
        "It stops at the boot loader.",
        "More details",
    ]


def test_empty_reply_is_refused(client, alice, file_ticket):
    ticket = file_ticket(alice)
    client.force_login(alice)
    response = client.post(
        reverse("support:ticket-reply", args=[ticket.pk]), {"message": "  "}
    )
    assert response.status_code == 400
    assert "message" in response.context["form"].errors
    assert ticket.messages.count() == 1


def test_customer_closes_own_ticket(client, alice, file_ticket):
    ticket = file_ticket(alice)
    client.force_login(alice)
    client.post(reverse("support:ticket-state", args=[ticket.pk]), {"state": "closed"})
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.CLOSED
    assert ticket.closed_at is not None
    assert ticket.resolved_at is not None


@pytest.mark.parametrize(
    "state", ["open", "waiting_customer", "waiting_staff", "resolved"]
)
def test_customer_cannot_set_staff_only_states(client, alice, file_ticket, state):
    ticket = file_ticket(alice)
    Ticket.objects.filter(pk=ticket.pk).update(state=Ticket.State.WAITING_ON_CUSTOMER)
    if state == "waiting_customer":
        Ticket.objects.filter(pk=ticket.pk).update(state=Ticket.State.OPEN)
    before = Ticket.objects.values().get(pk=ticket.pk)
    client.force_login(alice)
    response = client.post(
        reverse("support:ticket-state", args=[ticket.pk]),
        {"state": state},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "Only our support staff can set this state." in [
        str(m) for m in response.context["messages"]
    ]
    assert Ticket.objects.values().get(pk=ticket.pk) == before


def test_reply_to_closed_ticket_is_refused(client, alice, file_ticket, png):
    ticket = file_ticket(alice)
    services.change_state(ticket, by=alice, state=Ticket.State.CLOSED)
    client.force_login(alice)
    response = client.post(
        reverse("support:ticket-reply", args=[ticket.pk]),
        {"message": "One more thing", "attachments": [png]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "This ticket is closed. Please file a new ticket."
    ]
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.CLOSED


def test_customer_reply_reopens_a_resolved_ticket(alice, support_agent, file_ticket):
    ticket = file_ticket(alice)
    services.change_state(ticket, by=support_agent, state=Ticket.State.RESOLVED)
    services.add_customer_reply(ticket, author=alice, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.WAITING_ON_STAFF
    assert ticket.resolved_at is None


def test_detail_page_hides_internal_notes(client, alice, support_agent, file_ticket):
    ticket = file_ticket(alice)
    services.add_internal_note(
        ticket, author=support_agent, body="Customer is on the old plan"
    )
    services.add_staff_reply(
        ticket, author=support_agent, body="We are looking into it"
    )
    client.force_login(alice)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "We are looking into it" in page
    assert "old plan" not in page


def test_pdf_attachment_on_reply_is_stored(client, alice, file_ticket):
    ticket = file_ticket(alice)
    client.force_login(alice)
    client.post(
        reverse("support:ticket-reply", args=[ticket.pk]),
        {"message": "Invoice attached", "attachments": [upload("bill.pdf", PDF_BYTES)]},
    )
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.message.body == "Invoice attached"


def _queries_for(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_detail_and_list_queries_do_not_grow_with_the_thread(
    client, alice, support_agent, file_ticket, png
):
    ticket = file_ticket(alice, files=[png])
    client.force_login(alice)
    detail, listing = ticket.get_absolute_url(), reverse("support:ticket-list")
    _queries_for(client, detail)  # warm the session and caches
    small = (_queries_for(client, detail), _queries_for(client, listing))
    for n in range(10):
        services.add_staff_reply(ticket, author=support_agent, body=f"reply {n}")
        services.add_customer_reply(
            ticket,
            author=alice,
            body=f"answer {n}",
            files=[upload(f"{n}.pdf", PDF_BYTES)],
        )
        file_ticket(alice)
    assert (_queries_for(client, detail), _queries_for(client, listing)) == small


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "complaint"},
        {"kind": "privacy", "privacy_right": ""},
        {"kind": "privacy", "privacy_right": "forget-me"},
        {"subject": ""},
        {"message": " "},
    ],
)
def test_service_refuses_bad_tickets(alice, file_ticket, kwargs):
    with pytest.raises(services.ValidationError):
        file_ticket(alice, **kwargs)
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()


def test_ticket_pages_date_in_the_buddhist_era(client, alice, file_ticket):
    # 17:30 UTC on 24 November is 00:30 on the 25th in Bangkok.
    with time_machine.travel(datetime(2026, 11, 24, 17, 30, tzinfo=UTC), tick=False):
        ticket = file_ticket(alice)
    client.force_login(alice)
    listing = client.get(reverse("support:ticket-list")).content.decode()
    detail = client.get(ticket.get_absolute_url()).content.decode()
    assert "25 พฤศจิกายน 2569 00:30" in listing
    assert "25 พฤศจิกายน 2569 00:30" in detail


def test_privacy_request_link_from_my_data_prefills_the_form(client, alice):
    # My data links to the privacy-request workflow (policy, with its 30-day clock).
    client.force_login(alice)
    my_data = client.get(reverse("policy:my-data")).content.decode()
    link = reverse("policy:request-create") + "?right=objection"
    assert link in my_data
    response = client.get(link)
    assert response.context["form"]["right"].value() == "objection"
    assert '<option value="objection" selected>' in response.content.decode()
    # A privacy ticket can still be opened with the right preselected.
    response = client.get(create_url() + "?kind=privacy&privacy_right=objection")
    form = response.context["form"]
    assert form["kind"].value() == Ticket.Kind.PRIVACY_REQUEST
    assert form["privacy_right"].value() == Ticket.PrivacyRight.OBJECTION
    html = response.content.decode()
    assert '<option value="privacy" selected>' in html
    assert '<option value="objection" selected>' in html


def test_new_ticket_form_prefills_node_and_right_from_the_query(client, alice):
    client.force_login(alice)
    response = client.get(
        create_url(), {"privacy_right": "restriction", "node_id": "node-7f3a"}
    )
    form = response.context["form"]
    assert form["kind"].value() == Ticket.Kind.PRIVACY_REQUEST
    assert form["privacy_right"].value() == Ticket.PrivacyRight.RESTRICTION
    assert form["node_id"].value() == "node-7f3a"


def test_new_ticket_form_ignores_unknown_query_values(client, alice):
    client.force_login(alice)
    response = client.get(
        create_url(),
        {"kind": "bogus", "privacy_right": "everything", "node_id": "<script>"},
    )
    form = response.context["form"]
    assert not form["kind"].value()
    assert not form["privacy_right"].value()
    assert not form["node_id"].value()
    assert "<script>" not in response.content.decode()


def test_prefilled_privacy_request_is_filed_with_its_right(client, alice):
    client.force_login(alice)
    response = client.post(
        create_url() + "?kind=privacy&privacy_right=objection",
        {
            "kind": "privacy",
            "privacy_right": "objection",
            "subject": "Stop using my data for analysis",
            "message": "I object to the analysis of my usage data.",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.kind == Ticket.Kind.PRIVACY_REQUEST
    assert ticket.privacy_right == Ticket.PrivacyRight.OBJECTION


@pytest.mark.parametrize("language", ["th", "en"])
def test_ticket_choice_labels_are_djangos_in_the_active_language(language):
    """The ticket list's labels, translated once per language (onespace.choices)."""
    cases = {
        "kind": [*Ticket.Kind.values, "unknown"],
        "privacy_right": [*Ticket.PrivacyRight.values, "", "unknown"],
        "state": [*Ticket.State.values, "unknown"],
    }
    with translation.override(language):
        for name, values in cases.items():
            for value in values:
                ticket = Ticket(**{name: value})
                djangos = models.Model._get_FIELD_display(
                    ticket, Ticket._meta.get_field(name)
                )
                assert getattr(ticket, f"get_{name}_display")() == djangos
