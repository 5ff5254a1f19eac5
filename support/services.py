"""The support app's verbs: file, reply, note, assign, change state, request access, purge."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.emails import send_to_user
from accounts.models import User
from support import filetypes
from support.models import Attachment, Message, Ticket

# States a customer may put a ticket in directly; every other move is staff work.
# (A customer's reply to a resolved ticket reopens it as "waiting on staff".)
CUSTOMER_STATES = (Ticket.State.CLOSED,)


def _storage():  # type: ignore[no-untyped-def]
    return storages["private"]


def _store_attachments(
    ticket: Ticket, message: Message, files: Iterable[UploadedFile]
) -> list[Attachment]:
    stored: list[Attachment] = []
    storage = _storage()
    try:
        for upload in files:
            mime = filetypes.sniff(upload)
            if mime is None or not filetypes.matches_name(mime, upload.name or ""):
                raise ValidationError(
                    _("%(name)s is not an accepted file."),
                    code="refused_type",
                    params={"name": upload.name},
                )
            if (
                upload.size is None
                or upload.size > settings.SUPPORT_ATTACHMENT_MAX_BYTES
            ):
                raise ValidationError(
                    _("%(name)s is too large."),
                    code="too_large",
                    params={"name": upload.name},
                )
            # A random name: nothing the customer typed reaches the file system.
            name = storage.save(f"support/{ticket.pk}/{uuid.uuid4().hex}", upload)
            stored.append(
                Attachment.objects.create(
                    ticket=ticket,
                    message=message,
                    original_name=(upload.name or "file")[-255:],
                    stored_name=name,
                    content_type=mime,
                    size=upload.size,
                )
            )
    except BaseException:
        for attachment in stored:
            storage.delete(attachment.stored_name)
        raise
    return stored


def _require_text(body: str, field: str = "message") -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(
            {field: ValidationError(_("This field is required."), code="required")}
        )
    return body


@transaction.atomic
def file_ticket(
    customer: User,
    *,
    kind: str,
    subject: str,
    message: str,
    privacy_right: str = "",
    node_id: str = "",
    files: Sequence[UploadedFile] = (),
) -> Ticket:
    """Create a ticket with its first message and attachments; privacy requests get a due date."""
    subject = _require_text(subject, "subject")
    body = _require_text(message)
    if kind not in Ticket.Kind.values:
        raise ValidationError(
            {"kind": ValidationError(_("Choose what this is about."), code="invalid")}
        )
    if kind != Ticket.Kind.PRIVACY_REQUEST:
        privacy_right = ""
    elif privacy_right not in Ticket.PrivacyRight.values:
        raise ValidationError(
            {
                "privacy_right": ValidationError(
                    _("Choose which right you want to exercise."), code="required"
                )
            }
        )
    now = timezone.now()
    ticket = Ticket.objects.create(
        customer=customer,
        kind=kind,
        privacy_right=privacy_right,
        subject=subject,
        node_id=node_id,
        created_at=now,
        updated_at=now,
    )
    first = Message.objects.create(
        ticket=ticket,
        author=customer,
        kind=Message.Kind.CUSTOMER,
        body=body,
        created_at=now,
    )
    _store_attachments(ticket, first, files)
    return ticket


@transaction.atomic
def add_customer_reply(
    ticket: Ticket, *, author: User, body: str, files: Sequence[UploadedFile] = ()
) -> Message:
    """Add the customer's reply; a resolved ticket reopens, a closed one refuses."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.is_closed:
        raise ValidationError(
            _("This ticket is closed. Please file a new ticket."), code="closed"
        )
    body = _require_text(body)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, author=author, kind=Message.Kind.CUSTOMER, body=body
    )
    _store_attachments(ticket, message, files)
    ticket.state = Ticket.State.WAITING_ON_STAFF
    ticket.resolved_at = None
    ticket.updated_at = now
    ticket.save(update_fields=["state", "resolved_at", "updated_at"])
    return message


def _staff_message(
    ticket: Ticket, *, author: User, body: str, kind: str, state: str | None
) -> Message:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.is_closed:
        raise ValidationError(
            _("This ticket is closed. Reopen it before replying."), code="closed"
        )
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, author=author, kind=kind, body=body, created_at=now
    )
    fields = ["updated_at"]
    ticket.updated_at = now
    if kind != Message.Kind.INTERNAL_NOTE:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            fields.append("first_response_at")
        _set_state(ticket, state or Ticket.State.WAITING_ON_CUSTOMER, now, fields)
        # Every public staff message is emailed to the customer (in their language).
        transaction.on_commit(lambda: _enqueue_reply_email(message.pk))
    ticket.save(update_fields=fields)
    return message


def _enqueue_reply_email(message_id: int) -> None:
    from support.tasks import send_reply_email

    send_reply_email.enqueue(message_id)


@transaction.atomic
def add_staff_reply(
    ticket: Ticket, *, author: User, body: str, state: str | None = None
) -> Message:
    """Add a public staff reply, record the first response, email the customer."""
    body = _require_text(body)
    return _staff_message(
        ticket, author=author, body=body, kind=Message.Kind.STAFF_REPLY, state=state
    )


@transaction.atomic
def add_internal_note(ticket: Ticket, *, author: User, body: str) -> Message:
    """Add an internal note: never shown to the customer, never emailed."""
    body = _require_text(body)
    return _staff_message(
        ticket, author=author, body=body, kind=Message.Kind.INTERNAL_NOTE, state=None
    )


@transaction.atomic
def request_access_grant(ticket: Ticket, *, author: User, body: str = "") -> Message:
    """Ask the customer for an access grant to the ticket's node (policy 1.2.1)."""
    if not ticket.node_id:
        raise ValidationError(
            _("This ticket names no node, so there is nothing to ask access to."),
            code="no_node",
        )
    message = _staff_message(
        ticket,
        author=author,
        body=(body or "").strip(),
        kind=Message.Kind.ACCESS_REQUEST,
        state=Ticket.State.WAITING_ON_CUSTOMER,
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        access_grant_requested_at=message.created_at
    )
    ticket.refresh_from_db()
    return message


def _set_state(ticket: Ticket, state: str, now: datetime, fields: list[str]) -> None:
    ticket.state = state
    fields.append("state")
    if state in Ticket.FINISHED_STATES:
        if ticket.resolved_at is None:
            ticket.resolved_at = now
    else:
        ticket.resolved_at = None
    ticket.closed_at = now if state == Ticket.State.CLOSED else None
    fields += ["resolved_at", "closed_at"]


@transaction.atomic
def change_state(ticket: Ticket, *, by: User, state: str) -> Ticket:
    """Move a ticket to ``state``; customers may only close their own ticket."""
    if state not in Ticket.State.values:
        raise ValidationError(_("Unknown state."), code="invalid_state")
    is_staff_user = by.is_staff and by.pk != ticket.customer_id
    if not is_staff_user:
        if ticket.customer_id != by.pk:
            raise ValidationError(_("This is not your ticket."), code="not_owner")
        if state not in CUSTOMER_STATES:
            raise ValidationError(
                _("Only our support staff can set this state."), code="staff_only"
            )
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.state == state:
        return ticket
    now = timezone.now()
    fields = ["updated_at"]
    ticket.updated_at = now
    _set_state(ticket, state, now, fields)
    ticket.save(update_fields=fields)
    return ticket


@transaction.atomic
def assign_ticket(ticket: Ticket, *, assignee: User | None) -> Ticket:
    """Assign the ticket to a staff member (or nobody)."""
    if assignee is not None and not assignee.is_staff:
        raise ValidationError(
            _("Tickets can only be assigned to staff."), code="not_staff"
        )
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    return ticket


def email_reply(message: Message) -> None:
    """Email the customer about a staff message, in the customer's language."""
    ticket = message.ticket
    customer = ticket.customer
    if message.kind == Message.Kind.INTERNAL_NOTE or not customer.email:
        return
    link = settings.SITE_URL.rstrip("/") + reverse(
        "support:ticket-detail", args=[ticket.pk]
    )
    context = {"ticket": ticket, "message": message, "customer": customer, "link": link}
    send_to_user(customer, "support/email/staff_reply", context)


def delete_attachments(attachments: QuerySet[Attachment]) -> int:
    """Delete attachment rows; their files go once the transaction commits (receivers)."""
    count, _deleted = attachments.delete()
    return count


@transaction.atomic
def purge_expired(now: datetime, *, retention: timedelta) -> int:
    """Anonymise tickets finished longer than ``retention`` ago; kind and times stay for statistics."""
    cutoff = now - retention
    # A resolved ticket the customer never closed counts from its resolution.
    expired = Ticket.objects.filter(
        Q(state=Ticket.State.CLOSED, closed_at__lt=cutoff)
        | Q(state=Ticket.State.RESOLVED, resolved_at__lt=cutoff),
        anonymised_at__isnull=True,
    )
    ids = list(expired.values_list("pk", flat=True))
    if not ids:
        return 0
    delete_attachments(Attachment.objects.filter(ticket_id__in=ids))
    Message.objects.filter(ticket_id__in=ids).update(body="")
    return Ticket.objects.filter(pk__in=ids).update(
        subject="", node_id="", anonymised_at=now
    )
