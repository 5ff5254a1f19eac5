"""Audit log models: access logs, security events, node events, access grants, disclosures.

The three log tables (``AccessLog``, ``SecurityEvent``, ``NodeEvent``) are append-only
and hash-chained (``auditlog.chain``). Their user columns carry no database constraint
and never cascade: erasing an account must not rewrite or delete evidence that the law
tells us to keep (Computer-related Crime Act s.26).
"""

from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from auditlog import node_actions
from onespace.choices import choice_label
from onespace.thaidates import format_date, format_datetime

GENESIS = "0" * 64
RAW_IP_MAX = 100


def _log_user(related_name: str, verbose_name: Any) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name=related_name,
    )


class ChainedLog(models.Model):
    """An append-only row whose hash covers its content and the previous row's hash."""

    prev_hash = models.CharField(
        max_length=64, editable=False, verbose_name=_("previous hash")
    )
    hash = models.CharField(max_length=64, editable=False, verbose_name=_("hash"))

    # Columns that the hash covers, in this order.
    chain_fields: ClassVar[tuple[str, ...]] = ()
    # The last of ``chain_fields`` when it was added after rows existed: an empty value
    # there is left out of the hash input, so the rows written before it still verify.
    chain_added_field: ClassVar[str] = ""
    # The runtime role appends and reads (onespace.db_roles); only the owner's
    # auditlog_purge() deletes, and nobody updates.
    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT")

    class Meta:
        abstract = True


class AccessLogQuerySet(models.QuerySet["AccessLog"]):
    def for_user(self, user: Any) -> "AccessLogQuerySet":
        return self.filter(user=user)

    def recent(self, days: int = 90) -> "AccessLogQuerySet":
        return self.filter(occurred_at__gte=timezone.now() - timedelta(days=days))


class AccessLog(ChainedLog):
    """One HTTP request to the portal (policy 1.2.2: at least IP address and browser)."""

    occurred_at = models.DateTimeField(_("time"), db_index=False)
    user = _log_user("+", _("user"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The client address as received, when ``ip`` could not hold it exactly (a zoned
    # IPv6 address, a peer that is no address at all); empty otherwise.
    raw_ip = models.CharField(
        _("address as received"),
        max_length=RAW_IP_MAX,
        blank=True,
        default="",
        db_default="",
    )
    browser_family = models.CharField(_("browser"), max_length=50, blank=True)
    browser_version = models.CharField(_("browser version"), max_length=30, blank=True)
    os_family = models.CharField(_("operating system"), max_length=50, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=1000)
    status = models.PositiveSmallIntegerField(_("status"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    chain_fields = (
        "occurred_at",
        "user_id",
        "ip",
        "browser_family",
        "browser_version",
        "os_family",
        "user_agent",
        "method",
        "path",
        "status",
        "duration_ms",
        "raw_ip",
    )
    chain_added_field = "raw_ip"

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log")
        verbose_name_plural = _("access logs")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="auditlog_access_time"),
            models.Index(
                fields=["user", "-occurred_at", "-id"], name="auditlog_access_user"
            ),
            models.Index(
                fields=["ip", "-occurred_at", "-id"], name="auditlog_access_ip"
            ),
            models.Index(
                fields=["method", "-occurred_at", "-id"], name="auditlog_access_method"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class SecurityEventQuerySet(models.QuerySet["SecurityEvent"]):
    def for_user(self, user: Any) -> "SecurityEventQuerySet":
        return self.filter(user=user)

    def recent(self, days: int = 90) -> "SecurityEventQuerySet":
        return self.filter(occurred_at__gte=timezone.now() - timedelta(days=days))


class SecurityEvent(ChainedLog):
    """A sign-in, sign-out, failed sign-in, lockout, password change or staff view of personal data."""

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_OUT = "sign_out", _("Signed out")
        SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
        LOCKED_OUT = "locked_out", _("Locked out after failed sign-ins")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PERSONAL_DATA_VIEWED = "personal_data_viewed", _("Staff viewed personal data")

    occurred_at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=30, choices=Action)
    user = _log_user("+", _("user"))
    # The address typed into a failed sign-in, which may belong to no account.
    attempted_email = models.CharField(_("attempted email"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    raw_ip = models.CharField(
        _("address as received"),
        max_length=RAW_IP_MAX,
        blank=True,
        default="",
        db_default="",
    )
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    # For staff views of personal data: whose data, and which record.
    subject = _log_user("+", _("data subject"))
    object_label = models.CharField(_("record"), max_length=200, blank=True)

    chain_fields = (
        "occurred_at",
        "action",
        "user_id",
        "attempted_email",
        "ip",
        "user_agent",
        "subject_id",
        "object_label",
        "raw_ip",
    )
    chain_added_field = "raw_ip"

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="auditlog_sec_time"),
            models.Index(
                fields=["user", "-occurred_at", "-id"], name="auditlog_sec_user"
            ),
            models.Index(
                fields=["subject", "-occurred_at", "-id"], name="auditlog_sec_subject"
            ),
            models.Index(fields=["ip", "-occurred_at", "-id"], name="auditlog_sec_ip"),
            models.Index(
                fields=["action", "-occurred_at", "-id"], name="auditlog_sec_action"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} @ {format_datetime(self.occurred_at)}"

    def get_action_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.Action, self.action)


class NodeEventQuerySet(models.QuerySet["NodeEvent"]):
    def for_customer(self, user: Any) -> "NodeEventQuerySet":
        return self.filter(customer=user)

    def violations(self) -> "NodeEventQuerySet":
        return self.filter(is_violation=True)


class NodeEvent(ChainedLog):
    """Something the control plane did to a customer's node (policy 1.2.1)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        DELETE = "delete", _("Deleted")
        START = "start", _("Started")
        STOP = "stop", _("Stopped")
        REBOOT = "reboot", _("Rebooted")
        RESIZE = "resize", _("Resized")
        REBUILD = "rebuild", _("Rebuilt")
        REBUILD_KEEP_DISK = "rebuild_keep_disk", _("Rebuilt keeping the disk")
        SNAPSHOT = "snapshot", _("Snapshot taken")
        RESTORE = "restore", _("Restored from snapshot")
        RESTORE_TO_OTHER_NODE = (
            "restore_to_other_node",
            _("Snapshot restored into another node"),
        )
        BACKUP = "backup", _("Backed up")
        IMAGE_EXPORT = "image_export", _("Image exported")
        NETWORK_CHANGE = "network_change", _("Network changed")
        CONSOLE_ACCESS = "console_access", _("Console opened")
        DISK_ACCESS = "disk_access", _("Disk accessed")
        PASSWORD_RESET = "password_reset", _("Password reset inside the node")

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    # Policy 1.2.1: staff look inside a node only when the customer allows it. The
    # actions that do are declared in auditlog.node_actions; the control plane may
    # also report actions this list does not know (stored and flagged for review).
    INTERNAL_ACCESS: ClassVar[frozenset[str]] = node_actions.NEEDS_GRANT

    event_id = models.UUIDField(_("event id"), unique=True)
    occurred_at = models.DateTimeField(_("time"))
    received_at = models.DateTimeField(_("received at"))
    node_id = models.CharField(_("node"), max_length=64)
    customer = _log_user("+", _("customer"))
    action = models.CharField(_("action"), max_length=30, choices=Action)
    actor_type = models.CharField(_("actor"), max_length=10, choices=Actor)
    actor_id = models.CharField(_("actor id"), max_length=64, blank=True)
    source_ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    grant = models.ForeignKey(
        "AccessGrant",
        verbose_name=_("access grant"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    is_violation = models.BooleanField(_("violation"), default=False)

    chain_fields = (
        "event_id",
        "occurred_at",
        "received_at",
        "node_id",
        "customer_id",
        "action",
        "actor_type",
        "actor_id",
        "source_ip",
        "details",
        "grant_id",
        "is_violation",
    )

    objects = NodeEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("node event")
        verbose_name_plural = _("node events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="auditlog_node_time"),
            models.Index(
                fields=["customer", "-occurred_at", "-id"],
                name="auditlog_node_customer",
            ),
            models.Index(
                fields=["node_id", "-occurred_at", "-id"], name="auditlog_node_node"
            ),
            models.Index(
                fields=["action", "-occurred_at", "-id"], name="auditlog_node_action"
            ),
            models.Index(
                fields=["-occurred_at"],
                name="auditlog_node_violation",
                condition=models.Q(is_violation=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} {self.action}"

    def get_action_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.Action, self.action)

    def get_actor_type_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.Actor, self.actor_type)

    @property
    def flag_label(self) -> str:
        """Why the event is flagged ("" when it is not)."""
        if not self.is_violation:
            return ""
        return node_actions.flag_label(self.action, self.actor_type, self.details)

    @property
    def is_known_action(self) -> bool:
        return self.action in node_actions.BY_SLUG


class AccessGrantQuerySet(models.QuerySet["AccessGrant"]):
    def active(self, at: datetime | None = None) -> "AccessGrantQuerySet":
        """Grants in force at ``at`` (default now): started, not expired, not revoked."""
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, expires_at__gt=at).exclude(
            revoked_at__lte=at
        )


class AccessGrant(models.Model):
    """A customer's permission for named staff to look inside one node for a bounded time.

    It names who may use it: one staff member (``staff``), or whoever works on one of
    the customer's support tickets (``ticket_id``, the ticket's current assignee). A
    grant naming nobody (made before grants named staff) admits nobody. ``actions``
    limits it to some of the actions that need a grant; empty means all of them.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    node_id = models.CharField(_("node"), max_length=64)
    reason = models.CharField(_("reason"), max_length=500)
    ticket_reference = models.CharField(
        _("ticket reference"), max_length=64, blank=True
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The support ticket whose current assignee may use the grant (support.Ticket's
    # id; no foreign key: the audit log does not depend on the support app).
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    actions = models.JSONField(
        _("actions"),
        default=list,
        blank=True,
        help_text=_("Empty: every action that needs a grant."),
    )
    starts_at = models.DateTimeField(_("starts at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["node_id", "expires_at"], name="auditlog_grant_node"),
            models.Index(
                fields=["customer", "-created_at"], name="auditlog_grant_customer"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("starts_at")),
                name="auditlog_grant_expires_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.starts_at <= now < self.expires_at and (
            self.revoked_at is None or self.revoked_at > now
        )

    @property
    def scope(self) -> list[str]:
        """The actions the grant covers (all that need a grant when it names none)."""
        return [
            a.slug
            for a in node_actions.TABLE
            if a.needs_grant and (not self.actions or a.slug in self.actions)
        ]

    def scope_labels(self) -> list[str]:
        return [node_actions.label(slug) for slug in self.scope]


class DisclosureQuerySet(models.QuerySet["Disclosure"]):
    def restricted_on(self, day: date) -> "DisclosureQuerySet":
        return self.filter(is_restricted=True, restricted_until__gte=day)

    def visible_to_subject(self, day: date) -> "DisclosureQuerySet":
        """Disclosures a customer may be told about (not under a legal restriction on ``day``)."""
        return self.exclude(is_restricted=True, restricted_until__gte=day)


class Disclosure(models.Model):
    """A disclosure of personal data to an authority (policy clause 2: only by law)."""

    authority = models.CharField(_("authority"), max_length=200)
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=300,
        help_text=_("Statute and section, court order or letter reference."),
    )
    requested_on = models.DateField(_("request date"))
    categories = models.JSONField(
        _("categories disclosed"),
        default=list,
        help_text=_("Keys of personal-data categories from the registry."),
    )
    customers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customers concerned"),
        related_name="disclosures",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    disclosed_at = models.DateTimeField(_("disclosed at"))
    is_restricted = models.BooleanField(
        _("restricted by law"),
        default=False,
        help_text=_("The law forbids telling the customer until the end date."),
    )
    restriction_reason = models.CharField(
        _("restriction reason"), max_length=300, blank=True
    )
    restricted_until = models.DateField(_("restricted until"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # The number of the latest policy.RecordVersion: every change is a new version.
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-disclosed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_restricted=False)
                | (
                    models.Q(restricted_until__isnull=False)
                    & ~models.Q(restriction_reason="")
                ),
                name="auditlog_disclosure_restriction_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} ({format_date(self.disclosed_at)})"

    def clean(self) -> None:
        super().clean()
        from policy.registry import registry

        known = {category.key for category in registry}
        unknown = [key for key in self.categories or [] if key not in known]
        if unknown:
            raise ValidationError(
                {
                    "categories": _("Unknown categories: %(keys)s")
                    % {"keys": ", ".join(unknown)}
                }
            )
        if self.is_restricted and (
            not self.restricted_until or not self.restriction_reason
        ):
            raise ValidationError(_("A restriction needs a reason and an end date."))


class PurgeCheckpoint(models.Model):
    """The hash of the last row a retention purge removed, so the chain still verifies."""

    table = models.CharField(max_length=100, verbose_name=_("table"))
    last_id = models.BigIntegerField(verbose_name=_("last id"))
    last_hash = models.CharField(max_length=64, verbose_name=_("last hash"))
    purged_count = models.BigIntegerField(verbose_name=_("purged count"))
    purged_at = models.DateTimeField(default=timezone.now, verbose_name=_("purged at"))

    # Written only by the owner's auditlog_purge(): a checkpoint the application could
    # write would let it hide a removed prefix of the chain.
    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT",)

    class Meta:
        verbose_name = _("purge checkpoint")
        verbose_name_plural = _("purge checkpoints")
        ordering = ["-last_id"]
        indexes = [
            models.Index(fields=["table", "-last_id"], name="auditlog_checkpoint")
        ]

    def __str__(self) -> str:
        return f"{self.table} <= {self.last_id}"


class DeadLetter(models.Model):
    """A buffered log record the database refused, kept whole so it blocks no other record."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access log")
        SECURITY = "security", _("Security event")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    occurred_at = models.DateTimeField(_("time"), null=True, blank=True)
    user = _log_user("+", _("user"))
    refused_at = models.DateTimeField(_("refused at"), default=timezone.now)
    # The record as ASCII JSON (every other character escaped): storable whatever it holds.
    content = models.TextField(_("content"))
    error = models.CharField(_("error"), max_length=500)

    class Meta:
        verbose_name = _("refused log record")
        verbose_name_plural = _("refused log records")
        ordering = ["-refused_at", "-id"]
        indexes = [
            models.Index(fields=["-refused_at", "-id"], name="auditlog_dead_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {format_datetime(self.refused_at)}"


class DailyCount(models.Model):
    """Log rows per Bangkok day and action, kept by database triggers for the dashboard.

    On PostgreSQL a statement trigger on each log table adds every inserted batch
    (bulk INSERT or COPY, a late node event included) to these counts, so the staff
    dashboard reads at most a few hundred rows whatever the size of the logs. The
    triggers' functions belong to the owner (SECURITY DEFINER); the application can
    read the counts but not write them. ``sign_in_user`` rows (one per customer and
    day, the key is the user id) answer "how many customers signed in" and are
    dropped after 91 days. SQLite (development) has no such triggers: there the
    dashboard counts the logs themselves.
    """

    class Log(models.TextChoices):
        SECURITY = "security", _("security events")
        NODE = "node", _("node events")
        VIOLATION = "violation", _("access violations")
        SIGN_IN_USER = "sign_in_user", _("customers who signed in")

    day = models.DateField(verbose_name=_("day"))
    log = models.CharField(max_length=20, choices=Log, verbose_name=_("log"))
    # The action counted, or for sign_in_user the account's id; "" for violations.
    key = models.CharField(max_length=64, blank=True, verbose_name=_("key"))
    n = models.BigIntegerField(verbose_name=_("count"))

    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT",)

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(
                fields=["log", "day", "key"], name="auditlog_dailycount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.log} {self.key}: {self.n}"


# --- Break-glass access (issue 17) ----------------------------------------------------


class BreakGlassAccessQuerySet(models.QuerySet["BreakGlassAccess"]):
    def in_force(self, at: datetime | None = None) -> "BreakGlassAccessQuerySet":
        """Declarations whose window holds ``at`` (default now)."""
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at)

    def unreviewed(self) -> "BreakGlassAccessQuerySet":
        return self.filter(reviews__isnull=True)

    def restricted_on(self, day: date) -> "BreakGlassAccessQuerySet":
        """Declarations the customer may not yet hear of: their order's disclosure is restricted."""
        return self.filter(
            disclosure__is_restricted=True, disclosure__restricted_until__gte=day
        )

    def visible_to_customer(self, day: date) -> "BreakGlassAccessQuerySet":
        return self.exclude(
            disclosure__is_restricted=True, disclosure__restricted_until__gte=day
        )


class BreakGlassAccess(models.Model):
    """A Security auditor's declared emergency access to a customer's node, without a grant."""

    class Reason(models.TextChoices):
        INCIDENT = "incident", _("Security incident affecting the platform")
        ORDER = "order", _("Order of a court or authority")

    MAX_HOURS: ClassVar[int] = 4

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = _log_user("+", _("customer"))
    node_id = models.CharField(_("node"), max_length=64)
    reason_kind = models.CharField(_("reason"), max_length=10, choices=Reason)
    reason = models.CharField(_("reason in words"), max_length=1000)
    disclosure = models.ForeignKey(
        Disclosure,
        verbose_name=_("order in the disclosure register"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="break_glass_accesses",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    officers_notified_at = models.DateTimeField(
        _("Privacy officers told at"), null=True, blank=True
    )
    customer_notified_at = models.DateTimeField(
        _("customer told at"), null=True, blank=True
    )

    objects = BreakGlassAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("break-glass access")
        verbose_name_plural = _("break-glass accesses")
        ordering = ["-declared_at", "-id"]
        indexes = [
            models.Index(
                fields=["node_id", "staff", "ends_at"], name="auditlog_bg_node"
            ),
            models.Index(
                fields=["customer", "-declared_at"], name="auditlog_bg_customer"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="auditlog_bg_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(reason_kind="incident")
                | models.Q(disclosure__isnull=False),
                name="auditlog_bg_order_has_disclosure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    def get_reason_kind_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.Reason, self.reason_kind)


class BreakGlassReview(models.Model):
    """A Privacy officer's review of one break-glass access; never changed, a new review supersedes."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        ESCALATED = "escalated", _("Escalated")

    access = models.ForeignKey(
        BreakGlassAccess,
        verbose_name=_("break-glass access"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome)
    note = models.CharField(_("note"), max_length=2000)
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now)

    # Reviews are evidence: the application adds and reads them, never changes them.
    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT")

    class Meta:
        verbose_name = _("break-glass review")
        verbose_name_plural = _("break-glass reviews")
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} @ {self.reviewed_at:%Y-%m-%d %H:%M}"

    def get_outcome_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.Outcome, self.outcome)


class BreakGlassUse(models.Model):
    """A node event that a break-glass access let through (flagged at ingest, not a violation)."""

    access = models.ForeignKey(
        BreakGlassAccess,
        verbose_name=_("break-glass access"),
        on_delete=models.PROTECT,
        related_name="uses",
    )
    event_id = models.UUIDField(_("event id"), unique=True)
    occurred_at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=30)

    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT")

    class Meta:
        verbose_name = _("break-glass use")
        verbose_name_plural = _("break-glass uses")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.event_id}"
