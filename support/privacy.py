"""Personal data held by the support app (policy 1.4)."""

from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from policy import registry as privacy
from support import services
from support.models import Attachment, Message, Ticket

# Policy 1.4: problem reports and enquiries are kept to improve the system. Two years
# after a ticket is closed (or resolved and never closed) its personal content is anonymised; kind and timestamps stay
# for the improvement statistics.
TICKET_RETENTION = timedelta(days=2 * 365)
RETENTION_REASON = _(
    "Policy 1.4: kept to look back on problems and improve the service, then "
    "anonymised two years after the ticket is closed"
)
PURPOSE = _("Answer problem reports, enquiries and privacy requests (policy 1.4)")


@privacy.register
class TicketData(privacy.Category):
    """Ticket subjects and the node they concern."""

    key = "support.ticket"
    name = _("Support tickets")
    model = Ticket
    fields = ("subject", "node_id")
    export_fields = (
        "kind",
        "privacy_right",
        "state",
        "created_at",
        "due_on",
        "resolved_at",
        "closed_at",
    )
    purpose = PURPOSE
    legal_basis = privacy.Basis.CONTRACT
    retention = TICKET_RETENTION
    retention_reason = RETENTION_REASON
    retention_from = "closed_at"
    subject = "customer"
    erasure = privacy.Erasure.ANONYMISE

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        """Anonymise subject, messages and attachments of tickets closed too long ago."""
        return services.purge_expired(now, retention=cls.retention or TICKET_RETENTION)


@privacy.register
class MessageData(privacy.Category):
    """What customers wrote in their tickets, and staff's answers to them."""

    key = "support.message"
    name = _("Support messages")
    model = Message
    fields = ("body",)
    export_fields = ("ticket_id", "kind", "created_at")
    purpose = PURPOSE
    legal_basis = privacy.Basis.CONTRACT
    retention = TICKET_RETENTION
    retention_reason = RETENTION_REASON
    retention_from = "ticket__closed_at"
    subject = "ticket__customer"
    erasure = privacy.Erasure.ANONYMISE

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """The thread as the customer sees it: internal staff notes are left out."""
        return rows.public().values("pk", *cls.export_fields, *cls.fields)  # type: ignore[attr-defined]

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        # Purged together with their ticket by TicketData.purge_expired.
        return 0


privacy.not_personal(
    Attachment,
    "stored_name",
    reason=_(
        "A random storage path chosen by the portal, not the customer's file name"
    ),
)


@privacy.register
class AttachmentData(privacy.Category):
    """Files customers attached to tickets (screenshots, documents)."""

    key = "support.attachment"
    name = _("Support ticket attachments")
    model = Attachment
    fields = ("original_name",)
    purpose = PURPOSE
    legal_basis = privacy.Basis.CONTRACT
    retention = TICKET_RETENTION
    retention_reason = RETENTION_REASON
    retention_from = "ticket__closed_at"
    subject = "ticket__customer"
    erasure = privacy.Erasure.DELETE

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """Metadata of each file; the files themselves are downloaded from the ticket."""
        return rows.values(
            "pk", "ticket_id", "original_name", "content_type", "size", "created_at"
        )

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Delete the rows; their stored files are deleted when the erasure commits."""
        return services.delete_attachments(cls.for_subject(user))

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        # Purged together with their ticket by TicketData.purge_expired.
        return 0
