"""Personal data held by the audit log (policy 1.2, clause 2)."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from auditlog import break_glass, services
from auditlog.models import (
    AccessGrant,
    AccessLog,
    BreakGlassAccess,
    BreakGlassReview,
    BreakGlassUse,
    DailyCount,
    DeadLetter,
    Disclosure,
    NodeEvent,
    PurgeCheckpoint,
    SecurityEvent,
)
from policy import registry as privacy

LOG_RETENTION = timedelta(days=settings.AUDITLOG_RETENTION_DAYS)
LOG_RETENTION_REASON = _(
    "Computer-related Crime Act s.26: traffic data is kept at least 90 days; "
    "we keep it for the configured log retention period."
)


class LogCategory(privacy.Category):
    """A hash-chained log table: kept on erasure, purged only by its own retention."""

    source = privacy.Source.SYSTEMS

    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = LOG_RETENTION
    retention_reason = LOG_RETENTION_REASON
    retention_from = "occurred_at"
    subject = "user"
    erasure = privacy.Erasure.RETAIN

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        # The chain's own purge: oldest rows first, with a new anchor; on PostgreSQL
        # the owner's function, which alone gets past the trigger.
        return services.purge_log(cls.model, time_field=cls.retention_from, now=now)


@privacy.register
class AccessLogData(LogCategory):
    """Website access logs: address and browser of every request (policy 1.2.2)."""

    key = "auditlog-access-log"
    name = _("Website access logs")
    model = AccessLog
    fields = (
        "ip",
        "raw_ip",
        "user_agent",
        "browser_family",
        "browser_version",
        "os_family",
        "path",
    )
    export_fields = ("occurred_at", "method", "status")
    purpose = _(
        "Look back when a problem occurs and keep traffic data as the law requires (policy 1.2.2)"
    )


@privacy.register
class SecurityEventData(LogCategory):
    """Sign-ins, sign-outs, failed sign-ins, lockouts, password changes and staff views of a person's data."""

    key = "auditlog-security-event"
    name = _("Sign-in and security events")
    model = SecurityEvent
    fields = ("ip", "raw_ip", "user_agent", "attempted_email", "object_label")
    export_fields = ("occurred_at", "action")
    purpose = _(
        "Protect accounts and show who looked at personal data (policy 1.2, clause 2)"
    )

    subject_by_id = True  # for_subject reads only the id

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        return SecurityEvent.objects.filter(Q(user=user) | Q(subject=user))

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """The customer's own events whole; a staff member's view of their data as
        who (the staff role, never the name, address or browser), when and what.

        A row where someone else acted on this person's data belongs partly to that
        someone else: their IP address and browser are their personal data, not the
        customer's (PDPA s.30: an access answer must not disclose another person's data).
        The actor's staff roles come in the same query (one flag per role), so the page
        *My data* previews these rows with every other category's.
        """
        from django.contrib.auth.models import Group

        from accounts import roles

        flags = {
            f"staff_role_{number}": Exists(
                Group.objects.filter(user__pk=OuterRef("user_id"), name=name)
            )
            for number, name in enumerate(roles.ALL)
        }
        return rows.values("pk", *cls.export_fields, *cls.fields, "user_id", **flags)

    @classmethod
    def export_row(cls, row: dict[str, Any], user: models.Model) -> dict[str, Any]:
        from accounts import roles

        actor = row.pop("user_id")
        held = [row.pop(f"staff_role_{n}") for n in range(len(roles.ALL))]
        if actor == user.pk:
            return row
        names = sorted(name for name, has in zip(roles.ALL, held, strict=True) if has)
        return {
            "pk": row["pk"],
            "occurred_at": row["occurred_at"],
            "action": row["action"],
            "viewed_by": ", ".join(names) or "Staff",
            "record": row["object_label"],
        }


@privacy.register
class NodeEventData(LogCategory):
    """What was done to a customer's nodes, by whom and from where (policy 1.2.1)."""

    source = privacy.Source.CONTROL_PLANE

    key = "auditlog-node-event"
    name = _("Node activity")
    model = NodeEvent
    fields = ("node_id", "actor_id", "source_ip", "details")
    export_fields = ("event_id", "occurred_at", "action", "actor_type", "is_violation")
    purpose = _("Record node creation, deletion and management (policy 1.2.1)")
    legal_basis = privacy.Basis.CONTRACT
    retention_from = "received_at"
    subject = "customer"
    subject_by_id = True  # for_subject reads only the id (and today's date)

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        # A staff action under a restricted order's break-glass access stays hidden.
        return break_glass.without_restricted(super().for_subject(user), user)


@privacy.register
class DeadLetterData(privacy.Category):
    """Access-log and security records the database refused, kept whole instead of lost."""

    source = privacy.Source.SYSTEMS

    key = "auditlog-dead-letter"
    name = _("Refused log records")
    model = DeadLetter
    fields = ("content",)
    export_fields = ("kind", "occurred_at", "refused_at")
    purpose = _(
        "Keep a log record that could not be written in its table, so nothing the "
        "logs must hold is lost (policy 1.2)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    # The same as the log the record was meant for, counted from when it was refused.
    retention = LOG_RETENTION
    retention_reason = LOG_RETENTION_REASON
    retention_from = "refused_at"
    erasure = privacy.Erasure.RETAIN


@privacy.register
class AccessGrantData(privacy.Category):
    """Permissions a customer gave staff to look inside a node, with reason and ticket."""

    key = "auditlog-access-grant"
    name = _("Access grants")
    model = AccessGrant
    fields = ("node_id", "reason", "ticket_reference", "actions")
    export_fields = ("starts_at", "expires_at", "revoked_at")
    purpose = _(
        "Prove that staff looked inside a node only with the customer's permission (policy 1.2.1)"
    )
    legal_basis = privacy.Basis.CONTRACT
    retention = LOG_RETENTION
    retention_reason = LOG_RETENTION_REASON
    retention_from = "expires_at"
    subject = "customer"
    erasure = privacy.Erasure.RETAIN


@privacy.register
class DisclosureData(privacy.Category):
    """Disclosures of a customer's data to authorities (clause 2), unless the law restricts telling them."""

    source = privacy.Source.AUTHORITIES

    key = "auditlog-disclosure"
    name = _("Disclosures to authorities")
    model = Disclosure
    fields = ("customers",)
    export_fields = (
        "authority",
        "legal_basis",
        "requested_on",
        "categories",
        "disclosed_at",
    )
    purpose = _(
        "Account for every disclosure made because the law required it (clause 2)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _(
        "Kept as long as the account exists, as proof that disclosures were lawful."
    )
    subject = "customers"
    recipients = (_("Authorities named in each disclosure, as the law requires"),)
    erasure = privacy.Erasure.RETAIN

    subject_by_id = True  # for_subject reads only the id

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        # A restriction by law (e.g. a court order) hides the record until its end date.
        return Disclosure.objects.filter(customers=user.pk).visible_to_subject(
            timezone.localdate()
        )

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        # Never the other customers concerned: only what was disclosed about this one.
        return rows.values("pk", *cls.export_fields)


privacy.not_personal(
    Disclosure,
    "restriction_reason",
    reason=_(
        "The legal ground for withholding a notice (a statute or order), not data about a person."
    ),
)
privacy.not_personal(
    Disclosure,
    "categories",
    reason=_("Registry category keys of what was disclosed, not the data itself."),
)
privacy.no_personal_data(
    PurgeCheckpoint,
    reason=_("Where each log's retention purge stopped: an id and a hash."),
)


@privacy.register
class DailyCountData(privacy.Category):
    """The staff dashboard's counts per day, kept by the database from the logs."""

    source = privacy.Source.SYSTEMS

    key = "auditlog-daily-count"
    name = _("Daily usage counts")
    model = DailyCount
    # "sign_in_user" rows name a customer by id: that they signed in on a day.
    fields = ("key",)
    purpose = _("Analyse the use of the service (policy 1.2)")
    legal_basis = privacy.Basis.LEGITIMATE_INTEREST
    retention = timedelta(days=91)
    retention_reason = _(
        "Who signed in on which day is dropped after 91 days by the database itself; "
        "counts per action hold no one's data."
    )
    erasure = privacy.Erasure.RETAIN
    # Rows name a customer by id only, as one count per day: nothing to export or
    # erase person by person; they go after 91 days.
    per_person = False

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        """Nothing of its own: the counting trigger drops sign-in rows after 91 days."""
        return 0


# --- Break-glass access (issue 17) ----------------------------------------------------

BREAK_GLASS_RETENTION_REASON = _(
    "Kept as long as the disclosure register: proof that each access without the "
    "customer's permission was an emergency, was told and was reviewed."
)


class BreakGlassCategory(privacy.Category):
    """A break-glass record: kept, shown to the customer unless the law restricts it."""

    source = privacy.Source.SYSTEMS
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = BREAK_GLASS_RETENTION_REASON
    erasure = privacy.Erasure.RETAIN
    # The path from a row to its declaration ("" for the declaration itself).
    access_path: str = ""
    subject_by_id = True  # for_subject reads only the id (and today's date)

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        # An order's restriction by law hides the record until its end date.
        prefix = f"{cls.access_path}__" if cls.access_path else ""
        return cls.model._default_manager.filter(
            **{f"{prefix}customer": user.pk}
        ).exclude(
            **{
                f"{prefix}disclosure__is_restricted": True,
                f"{prefix}disclosure__restricted_until__gte": timezone.localdate(),
            }
        )


@privacy.register
class BreakGlassAccessData(BreakGlassCategory):
    """Emergency access by a Security auditor to a customer's node without a grant."""

    key = "auditlog-break-glass-access"
    name = _("Emergency (break-glass) access to nodes")
    model = BreakGlassAccess
    fields = ("node_id", "reason")
    export_fields = ("reason_kind", "starts_at", "ends_at", "declared_at")
    purpose = _(
        "Account for every access to a node without the customer's permission, in an "
        "emergency or by order (policy 1.2.1, clause 2)"
    )
    subject = "customer"


@privacy.register
class BreakGlassUseData(BreakGlassCategory):
    """The node actions that a break-glass access let through."""

    key = "auditlog-break-glass-use"
    name = _("Node actions under emergency access")
    model = BreakGlassUse
    fields = ("event_id",)
    export_fields = ("occurred_at", "action")
    purpose = _("Show which node actions each emergency access covered (policy 1.2.1)")
    subject = "access__customer"
    access_path = "access"


@privacy.register
class BreakGlassReviewData(BreakGlassCategory):
    """A Privacy officer's review of an emergency access: outcome and note."""

    key = "auditlog-break-glass-review"
    name = _("Reviews of emergency access")
    model = BreakGlassReview
    fields = ("note",)
    export_fields = ("outcome", "reviewed_at")
    purpose = _(
        "Prove that the Privacy officer checked every emergency access (policy 1.2.1)"
    )
    subject = "access__customer"
    access_path = "access"
