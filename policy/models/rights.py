"""The data subject's rights: copies of their data (s.30–31) and account closure with erasure (s.33)."""

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onespace.thaidates import format_date, format_datetime
from policy.pseudonyms import current_key_id


class DataExportQuerySet(models.QuerySet["DataExport"]):
    def expired(self, now: datetime | None = None) -> "DataExportQuerySet":
        return self.filter(expires_at__lt=now or timezone.now())


class DataExport(models.Model):
    """One request of a customer for a copy of their data (PDPA s.30-31)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)
    downloaded_at = models.DateTimeField(
        _("first downloaded at"), null=True, blank=True
    )
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    # Name of the ZIP in storages["private"] (looked up at use, so tests can swap it).
    file_name = models.CharField(_("file"), max_length=200, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    counts = models.JSONField(_("records per category"), default=dict, blank=True)

    objects = DataExportQuerySet.as_manager()

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-requested_at"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} @ {format_datetime(self.requested_at)}"

    def get_absolute_url(self) -> str:
        return reverse("policy:export-download", args=[self.pk])

    @property
    def is_ready(self) -> bool:
        return self.ready_at is not None and bool(self.file_name)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (
            now or timezone.now()
        )


class ErasureRecordQuerySet(models.QuerySet["ErasureRecord"]):
    def pending(self) -> "ErasureRecordQuerySet":
        return self.filter(cancelled_at__isnull=True, erased_at__isnull=True)

    def due(self, now: datetime | None = None) -> "ErasureRecordQuerySet":
        return self.pending().filter(erase_after__lte=now or timezone.now())


class ErasureRecord(models.Model):
    """A customer's request to close the account, and what erasure did (PDPA s.33).

    Holds no erased data: the person is named only by a keyed hash of the email
    address (the same pseudonym as on acceptance records) once the account is erased.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled (cool-off)")
        CANCELLED = "cancelled", _("Cancelled by the customer")
        ERASED = "erased", _("Erased")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pseudonym = models.CharField(
        _("pseudonym"),
        max_length=64,
        db_index=True,
        help_text=_("Keyed hash of the email address, the same as on acceptances."),
    )
    # Which PSEUDONYM_KEY made the pseudonym ("" for rows older than key ids: made
    # with the key derived from SECRET_KEY). Look-ups try every configured key.
    pseudonym_key_id = models.CharField(
        _("pseudonym key id"),
        max_length=12,
        blank=True,
        default=current_key_id,
        editable=False,
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    erase_after = models.DateTimeField(_("erase after (end of cool-off)"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    # Stamped by PostgreSQL with its own clock whatever the application sends: the
    # database's erasure function counts the cool-off from here (migration 0005).
    recorded_at = models.DateTimeField(
        _("received by the database at"), db_default=Now(), editable=False
    )
    counts = models.JSONField(
        _("rows per category"),
        default=dict,
        blank=True,
        help_text=_("Category key → rows erased, anonymised or kept."),
    )

    objects = ErasureRecordQuerySet.as_manager()

    # Proof of the request and of what erasure did: never deleted (onespace.db_roles).
    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT", "UPDATE")

    class Meta:
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One open request per customer: asking again while one is pending is refused.
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(cancelled_at__isnull=True, erased_at__isnull=True),
                name="policy_erasure_one_pending_per_customer",
            ),
        ]
        indexes = [models.Index(fields=["erase_after"])]

    def __str__(self) -> str:
        return f"{self.pseudonym[:12]}… @ {format_date(self.requested_at)}"

    @property
    def state(self) -> str:
        if self.erased_at:
            return self.State.ERASED
        if self.cancelled_at:
            return self.State.CANCELLED
        return self.State.SCHEDULED

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)

    @property
    def due_by(self) -> datetime:
        """PDPA: a request is answered within 30 days."""
        return self.requested_at + timedelta(days=30)
