"""Staff work tickets in admin: replies emailed in the customer's language, notes kept internal."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from support import services
from support.models import Message, Ticket


def change_url(ticket: Ticket) -> str:
    return reverse("admin:support_ticket_change", args=[ticket.pk])


def admin_post(client, ticket: Ticket, **data):
    form = {
        "state": ticket.state,
        "assignee": "",
        "reply_kind": "reply",
        "reply_body": "",
        "_save": "Save",
        **data,
    }
    return client.post(change_url(ticket), form, HTTP_ACCEPT_LANGUAGE="en")


def test_support_agent_sees_every_ticket(
    staff_client, support_agent, alice, bob, file_ticket
):
    file_ticket(alice, subject="Alice problem")
    file_ticket(bob, subject="Bob enquiry", kind="enquiry")
    response = staff_client(support_agent).get(
        reverse("admin:support_ticket_changelist")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice problem" in page
    assert "Bob enquiry" in page


def test_finance_cannot_open_tickets(staff_client, finance, alice, file_ticket):
    ticket = file_ticket(alice)
    client = staff_client(finance)
    assert client.get(reverse("admin:support_ticket_changelist")).status_code == 403
    assert client.get(change_url(ticket)).status_code == 403


def test_privacy_officer_sees_only_privacy_requests_overdue_first(
    staff_client, privacy_officer, alice, file_ticket
):
    import time_machine

    with time_machine.travel("2026-01-01 10:00 +0700", tick=False):
        overdue = file_ticket(
            alice, kind="privacy", privacy_right="access", subject="Old access"
        )
    with time_machine.travel("2026-02-10 10:00 +0700", tick=False):
        fresh = file_ticket(
            alice, kind="privacy", privacy_right="erasure", subject="New erasure"
        )
        done = file_ticket(
            alice, kind="privacy", privacy_right="objection", subject="Done objection"
        )
        services.change_state(done, by=privacy_officer, state=Ticket.State.RESOLVED)
        problem = file_ticket(alice, subject="Broken disk")
        client = staff_client(privacy_officer)
        response = client.get(reverse("admin:support_ticket_changelist"))
        assert response.status_code == 200
        shown = list(response.context["cl"].result_list)
        assert shown == [overdue, fresh, done]
        assert problem not in shown
        overdue_only = client.get(
            reverse("admin:support_ticket_changelist") + "?privacy=overdue"
        )
        assert list(overdue_only.context["cl"].result_list) == [overdue]
        assert client.get(change_url(problem)).status_code in (302, 403, 404)
        assert client.get(change_url(fresh)).status_code == 200


def test_public_reply_from_admin_is_emailed_in_customers_language(
    staff_client, support_agent, alice, file_ticket, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save()
    ticket = file_ticket(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_post(
            staff_client(support_agent), ticket, reply_body="Please reboot the node."
        )
    assert response.status_code == 302
    reply = ticket.messages.get(kind=Message.Kind.STAFF_REPLY)
    assert reply.author == support_agent
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.WAITING_ON_CUSTOMER
    assert ticket.first_response_at == reply.created_at
    (email,) = mail.outbox
    assert email.to == ["alice@example.com"]
    assert email.subject == f"New reply on your ticket {ticket.reference}"
    assert "Please reboot the node." in email.body
    assert f"/support/tickets/{ticket.pk}/" in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html"
    assert "Please reboot the node." in html


def test_reply_email_in_thai_for_thai_customer(
    support_agent, alice, file_ticket, django_capture_on_commit_callbacks
):
    assert alice.language == "th"
    ticket = file_ticket(alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_staff_reply(ticket, author=support_agent, body="กรุณารีบูต")
    (email,) = mail.outbox
    assert ticket.reference in email.subject
    assert "ตั๋ว" in email.subject
    assert "กรุณารีบูต" in email.body


def test_internal_note_is_never_emailed_or_shown(
    staff_client,
    support_agent,
    client,
    alice,
    file_ticket,
    django_capture_on_commit_callbacks,
):
    ticket = file_ticket(alice)
    with django_capture_on_commit_callbacks(execute=True):
        admin_post(
            staff_client(support_agent),
            ticket,
            reply_kind="note",
            reply_body="Customer owes us money",
        )
    note = ticket.messages.get(kind=Message.Kind.INTERNAL_NOTE)
    assert note.body == "Customer owes us money"
    assert mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a note is not a response
    client.force_login(alice)
    assert "owes us money" not in client.get(ticket.get_absolute_url()).content.decode()


def test_staff_changes_state_and_assigns(
    staff_client, support_agent, alice, file_ticket
):
    ticket = file_ticket(alice)
    response = admin_post(
        staff_client(support_agent),
        ticket,
        state=Ticket.State.RESOLVED,
        assignee=str(support_agent.pk),
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.RESOLVED
    assert ticket.assignee == support_agent
    assert ticket.resolved_at is not None


def test_staff_reply_to_closed_ticket_is_refused(
    staff_client, support_agent, alice, file_ticket
):
    ticket = file_ticket(alice)
    services.change_state(ticket, by=alice, state=Ticket.State.CLOSED)
    ticket.refresh_from_db()
    response = admin_post(staff_client(support_agent), ticket, reply_body="Too late")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reply_body"] == [
        "This ticket is closed. Reopen it before replying."
    ]
    assert ticket.messages.count() == 1
    with pytest.raises(services.ValidationError):
        services.add_staff_reply(ticket, author=support_agent, body="Too late")
    assert ticket.messages.count() == 1


def test_staff_reopens_and_replies(
    staff_client, support_agent, alice, file_ticket, django_capture_on_commit_callbacks
):
    ticket = file_ticket(alice)
    services.change_state(ticket, by=alice, state=Ticket.State.CLOSED)
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        admin_post(
            staff_client(support_agent),
            ticket,
            state=Ticket.State.WAITING_ON_CUSTOMER,
            reply_body="Reopened: one more question",
        )
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.WAITING_ON_CUSTOMER
    assert ticket.closed_at is None
    assert len(mail.outbox) == 1


def test_admin_search_by_reference(staff_client, support_agent, alice, file_ticket):
    ticket = file_ticket(alice)
    file_ticket(alice)
    response = staff_client(support_agent).get(
        reverse("admin:support_ticket_changelist") + f"?q={ticket.reference}"
    )
    assert list(response.context["cl"].result_list) == [ticket]


def test_thread_in_admin_marks_internal_notes(
    staff_client, support_agent, alice, file_ticket, png
):
    ticket = file_ticket(alice, files=[png])
    services.add_internal_note(ticket, author=support_agent, body="Checked the logs")
    page = (
        staff_client(support_agent)
        .get(change_url(ticket), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Checked the logs" in page
    assert "never shown to the customer" in page
    assert ticket.attachments.get().get_absolute_url() in page


# --- Access grant requests ------------------------------------------------------------


def request_grant(client, ticket):
    return client.post(
        reverse("admin:support_ticket_changelist"),
        {"action": "request_access_grant", "_selected_action": [ticket.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_support_requests_access_grant_and_customer_is_told(
    staff_client, support_agent, alice, file_ticket, django_capture_on_commit_callbacks
):
    ticket = file_ticket(alice, node_id="node-7f3a")
    with django_capture_on_commit_callbacks(execute=True):
        response = request_grant(staff_client(support_agent), ticket)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.access_grant_requested_at is not None
    assert ticket.state == Ticket.State.WAITING_ON_CUSTOMER
    assert ticket.messages.filter(kind=Message.Kind.ACCESS_REQUEST).count() == 1
    (email,) = mail.outbox
    assert "node-7f3a" in email.body


def test_access_grant_needs_a_node(staff_client, support_agent, alice, file_ticket):
    ticket = file_ticket(alice)
    response = request_grant(staff_client(support_agent), ticket)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.access_grant_requested_at is None
    assert not ticket.messages.filter(kind=Message.Kind.ACCESS_REQUEST).exists()


def test_ticket_page_links_to_auditlog_grant_form(
    client, support_agent, alice, file_ticket
):
    """The contract with the audit-log app: its grant form, prefilled with node and ticket."""
    ticket = file_ticket(alice, node_id="node-7f3a")
    services.request_access_grant(ticket, author=support_agent)
    client.force_login(alice)
    page = client.get(ticket.get_absolute_url()).content.decode()
    expected = (
        reverse("auditlog:grant-create")
        + f"?node_id=node-7f3a&amp;ticket={ticket.reference}"
    )
    assert expected in page


@override_settings(ROOT_URLCONF="tests.support.urls_without_auditlog")
def test_ticket_page_renders_without_the_auditlog_grant_page(
    alice, support_agent, file_ticket
):
    from support.views import access_grant_link

    ticket = file_ticket(alice, node_id="node-7f3a")
    services.request_access_grant(ticket, author=support_agent)
    ticket.refresh_from_db()
    assert access_grant_link(ticket) is None


def test_no_grant_button_before_it_is_requested(client, alice, file_ticket):
    ticket = file_ticket(alice, node_id="node-7f3a")
    client.force_login(alice)
    response = client.get(ticket.get_absolute_url())
    assert response.context["grant_link"] is None
    assert 'id="access-grant-request"' not in response.content.decode()


def test_inbox_filters_tickets_assigned_to_me(
    staff_client, support_agent, alice, file_ticket
):
    mine = file_ticket(alice)
    file_ticket(alice)
    services.assign_ticket(mine, assignee=support_agent)
    response = staff_client(support_agent).get(
        reverse("admin:support_ticket_changelist") + "?assigned=me"
    )
    assert list(response.context["cl"].result_list) == [mine]


def test_tickets_cannot_be_assigned_to_customers(alice, bob, file_ticket):
    ticket = file_ticket(alice)
    with pytest.raises(services.ValidationError):
        services.assign_ticket(ticket, assignee=bob)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_privacy_officer_answers_a_privacy_request_in_admin(
    staff_client,
    privacy_officer,
    alice,
    file_ticket,
    django_capture_on_commit_callbacks,
):
    ticket = file_ticket(alice, kind="privacy", privacy_right="access")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_post(
            staff_client(privacy_officer),
            ticket,
            state=Ticket.State.RESOLVED,
            reply_body="Your export is ready under My privacy.",
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.RESOLVED
    assert ticket.messages.filter(kind=Message.Kind.STAFF_REPLY).count() == 1
    assert len(mail.outbox) == 1
