"""The support app's registry declarations: export, erasure, retention purge, permissions."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.storage import storages
from django.core.management import call_command

from accounts import roles
from policy.registry import registry
from support import services
from support.models import Attachment, Message, Ticket
from support.privacy import TICKET_RETENTION, AttachmentData, MessageData, TicketData

BANGKOK = ZoneInfo("Asia/Bangkok")


def test_categories_are_registered():
    keys = {category.key for category in registry}
    assert {"support.ticket", "support.message", "support.attachment"} <= keys
    covered = registry.covered_fields()
    assert ("support.ticket", "subject") in covered
    assert ("support.message", "body") in covered
    assert ("support.attachment", "original_name") in covered
    for category in (TicketData, MessageData, AttachmentData):
        assert category.retention == TICKET_RETENTION
        assert str(category.retention_reason)


def test_export_leaves_out_internal_notes_and_other_customers(
    alice, bob, support_agent, file_ticket, png
):
    ticket = file_ticket(alice, files=[png])
    file_ticket(bob, subject="Bob's")
    services.add_internal_note(ticket, author=support_agent, body="secret note")
    services.add_staff_reply(ticket, author=support_agent, body="public answer")
    tickets = list(TicketData.export(alice))
    assert [t["subject"] for t in tickets] == ["Node will not boot"]
    bodies = [m["body"] for m in MessageData.export(alice)]
    assert bodies == ["It stops at the boot loader.", "public answer"]
    (attachment,) = AttachmentData.export(alice)
    assert attachment["original_name"] == "screenshot.png"
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] > 0
    assert "stored_name" not in attachment


def test_erasure_deletes_files_and_anonymises_text(
    alice, bob, file_ticket, png, django_capture_on_commit_callbacks
):
    ticket = file_ticket(alice, files=[png], node_id="node-1")
    bobs = file_ticket(bob, files=[png])
    stored = ticket.attachments.get().stored_name
    assert storages["private"].exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        for category in (TicketData, MessageData, AttachmentData):
            category.erase(alice)
    ticket.refresh_from_db()
    assert ticket.subject == ""
    assert ticket.node_id == ""
    assert ticket.kind == Ticket.Kind.PROBLEM
    assert set(ticket.messages.values_list("body", flat=True)) == {""}
    assert not storages["private"].exists(stored)
    assert not ticket.attachments.exists()
    assert bobs.attachments.count() == 1
    assert bobs.messages.get().body == "It stops at the boot loader."


def test_purge_anonymises_tickets_closed_longer_than_retention(
    alice, support_agent, file_ticket, png, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=BANGKOK), tick=False):
        old = file_ticket(alice, files=[png], node_id="node-7f3a")
        services.add_staff_reply(old, author=support_agent, body="answer")
        services.change_state(old, by=alice, state=Ticket.State.CLOSED)
        recent = file_ticket(alice, subject="Still open")
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=BANGKOK), tick=False):
        closed_later = file_ticket(alice, subject="Closed later")
        services.change_state(closed_later, by=alice, state=Ticket.State.CLOSED)
    stored = old.attachments.get().stored_name
    old.refresh_from_db()
    closed_at = old.closed_at

    # One day before the retention runs out nothing happens.
    assert (
        TicketData.purge_expired(closed_at + TICKET_RETENTION - timedelta(days=1)) == 0
    )
    assert storages["private"].exists(stored)

    purge_time = closed_at + TICKET_RETENTION + timedelta(days=1)
    with (
        time_machine.travel(purge_time, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("purge_expired", stdout=StringIO())
    old.refresh_from_db()
    assert old.subject == ""
    assert old.node_id == ""
    assert old.anonymised_at == purge_time
    assert set(Message.objects.filter(ticket=old).values_list("body", flat=True)) == {
        ""
    }
    assert not Attachment.objects.filter(ticket=old).exists()
    assert not storages["private"].exists(stored)
    # Statistics stay: kind, state and timestamps are untouched.
    assert old.kind == Ticket.Kind.PROBLEM
    assert old.closed_at == closed_at
    assert old.first_response_at is not None
    assert old.messages.count() == 2
    # An open ticket and one closed more recently keep their content.
    recent.refresh_from_db()
    closed_later.refresh_from_db()
    assert recent.subject == "Still open"
    assert closed_later.subject == "Closed later"
    # A second run finds nothing more to do.
    assert TicketData.purge_expired(purge_time) == 0


def test_purge_counts_a_resolved_ticket_from_its_resolution(
    alice, support_agent, file_ticket
):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=BANGKOK), tick=False):
        ticket = file_ticket(alice)
        services.change_state(ticket, by=support_agent, state=Ticket.State.RESOLVED)
    ticket.refresh_from_db()
    assert TicketData.purge_expired(ticket.resolved_at + TICKET_RETENTION) == 0
    later = ticket.resolved_at + TICKET_RETENTION + timedelta(seconds=1)
    assert TicketData.purge_expired(later) == 1
    ticket.refresh_from_db()
    assert ticket.subject == ""
    assert ticket.state == Ticket.State.RESOLVED


def test_open_tickets_are_never_purged(alice, file_ticket):
    ticket = file_ticket(alice)
    assert TicketData.purge_expired(ticket.created_at + 10 * TICKET_RETENTION) == 0


def test_deleting_an_account_deletes_its_files(
    alice, file_ticket, png, django_capture_on_commit_callbacks
):
    ticket = file_ticket(alice, files=[png])
    stored = ticket.attachments.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert not Ticket.objects.exists()
    assert not storages["private"].exists(stored)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            roles.SUPPORT,
            {
                "view_ticket",
                "change_ticket",
                "view_message",
                "add_message",
                "change_message",
                "view_attachment",
                "view_statistics",
            },
        ),
        (roles.PRIVACY_OFFICER, {"work_privacy_request", "view_statistics"}),
        (roles.FINANCE, set()),
    ],
)
def test_groups_get_support_permissions(db, role, expected):
    group, _created = Group.objects.get_or_create(name=role)
    codenames = set(
        group.permissions.filter(content_type__app_label="support").values_list(
            "codename", flat=True
        )
    )
    assert codenames == expected


def test_permission_helpers_follow_groups(support_agent, privacy_officer, alice):
    assert support_agent.has_perm("support.change_ticket")
    assert not privacy_officer.has_perm("support.view_ticket")
    assert privacy_officer.has_perm("support.work_privacy_request")
    assert not alice.has_perm("support.view_ticket")
