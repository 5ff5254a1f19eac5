"""Privacy notice versions, acceptance records, notice emails and optional consents."""

import hashlib
from datetime import datetime, timedelta
from typing import Any, ClassVar, cast

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ImmutableRecord(Exception):
    """Raised when code tries to change or delete what the law wants kept as it is."""


# SQLSTATE object_not_in_prerequisite_state: policy_pseudonymise() found no due closure.
CLOSURE_NOT_DUE = "55000"


def fingerprint_of(text_th: str, text_en: str) -> str:
    """SHA-256 of both texts: UTF-8 Thai text, a NUL byte, UTF-8 English text."""
    digest = hashlib.sha256()
    digest.update(text_th.encode())
    digest.update(b"\x00")
    digest.update(text_en.encode())
    return digest.hexdigest()


def pseudonym_of(email: str) -> str:
    """Keyed hash (HMAC-SHA256, key derived from SECRET_KEY) of the lower-cased address."""
    return salted_hmac(
        "policy.acceptance.pseudonym",
        email.strip().lower(),
        algorithm="sha256",
    ).hexdigest()


class NoticeVersionQuerySet(models.QuerySet["NoticeVersion"]):
    def published(self) -> "NoticeVersionQuerySet":
        return self.filter(published_at__isnull=False, effective_at__isnull=False)

    def drafts(self) -> "NoticeVersionQuerySet":
        return self.filter(published_at__isnull=True)

    def in_force(self, now: datetime | None = None) -> "NoticeVersion | None":
        now = now or timezone.now()
        return (
            self.published()
            .filter(effective_at__lte=now)
            .order_by("-effective_at")
            .first()
        )

    def scheduled(self, now: datetime | None = None) -> "NoticeVersion | None":
        now = now or timezone.now()
        return (
            self.published()
            .filter(effective_at__gt=now)
            .order_by("effective_at")
            .first()
        )

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(published_at__isnull=False).exists():
            raise ImmutableRecord("A published notice version can never be deleted.")
        return super().delete()

    def update(self, **kwargs: Any) -> int:
        if self.filter(published_at__isnull=False).exists():
            raise ImmutableRecord("A published notice version can never be changed.")
        return super().update(**kwargs)


class NoticeVersion(models.Model):
    """One version of the privacy notice, in Thai (authoritative) and English."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        IN_FORCE = "in_force", _("In force")
        SUPERSEDED = "superseded", _("Superseded")

    label = models.SlugField(
        _("label"),
        max_length=20,
        unique=True,
        help_text=_("Short name used in links, for example 2 or 2027-01."),
    )
    text_th = models.TextField(_("text (Thai)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    summary_th = models.TextField(_("summary of changes (Thai)"), blank=True)
    summary_en = models.TextField(_("summary of changes (English)"), blank=True)
    fingerprint = models.CharField(
        _("fingerprint (SHA-256)"), max_length=64, editable=False
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    published_at = models.DateTimeField(
        _("published at"), null=True, blank=True, editable=False
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    effective_at = models.DateTimeField(
        _("effective at"), null=True, blank=True, editable=False
    )

    objects = NoticeVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice version")
        verbose_name_plural = _("notice versions")
        ordering = ["-effective_at", "-created_at"]
        indexes = [models.Index(fields=["effective_at"])]
        permissions = [("publish_noticeversion", _("Can publish notice versions"))]
        constraints = [
            # A version is published with its effective date, never one without the other.
            models.CheckConstraint(
                condition=(
                    models.Q(published_at__isnull=True, effective_at__isnull=True)
                    | models.Q(published_at__isnull=False, effective_at__isnull=False)
                ),
                name="policy_noticeversion_published_with_effective_date",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Version %(label)s") % {"label": self.label})

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Policy clause 3: what was announced is what takes effect; published text is frozen.
        if (
            self.pk
            and NoticeVersion.objects.filter(
                pk=self.pk, published_at__isnull=False
            ).exists()
        ):
            raise ImmutableRecord("A published notice version can never be changed.")
        self.fingerprint = fingerprint_of(self.text_th, self.text_en)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("policy:version-detail", args=[self.label])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if (
            self.pk
            and NoticeVersion.objects.filter(
                pk=self.pk, published_at__isnull=False
            ).exists()
        ):
            raise ImmutableRecord("A published notice version can never be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def state_at(self, now: datetime, in_force_pk: int | None) -> str:
        """The state at ``now``, given which version is in force then."""
        if self.effective_at is None:
            return self.State.DRAFT
        if self.effective_at > now:
            return self.State.SCHEDULED
        if self.pk == in_force_pk:
            return self.State.IN_FORCE
        return self.State.SUPERSEDED

    @property
    def state(self) -> str:
        now = timezone.now()
        current = NoticeVersion.objects.in_force(now)
        return self.state_at(now, current.pk if current else None)

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)

    def text(self, language: str | None = None) -> str:
        """The text in ``language`` (default: the active one), Thai when English is missing."""
        language = language or get_language() or "th"
        if language.startswith("en") and self.text_en:
            return self.text_en
        return self.text_th

    def summary(self, language: str | None = None) -> str:
        language = language or get_language() or "th"
        if language.startswith("en") and self.summary_en:
            return self.summary_en
        return self.summary_th


class ClosureNotDue(ImmutableRecord):
    """The database refused to detach records: the account's closure is not due by its clock."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are added, never changed or deleted; erasure replaces the person by a pseudonym."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecord(f"{self.model.__name__} records are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord(f"{self.model.__name__} records are append-only.")

    def pseudonymise(self, customer_id: int) -> int:
        """Detach ``customer_id``'s rows from the person: drop the link, the address and the browser.

        The pseudonym (a keyed hash of the email address, stored when the row was made)
        stays, so the company can still answer "did this address accept?". On PostgreSQL
        the owner's ``policy_pseudonymise()`` does it, and only once the account's closure
        is due by the database's own clock (PDPA s.33 erasure, never earlier): the runtime
        role cannot change these rows itself (migration 0005).
        """
        if connection.vendor != "postgresql":
            rows = self.filter(customer_id=customer_id)
            return super(AppendOnlyQuerySet, rows).update(
                customer=None, ip_address=None, user_agent=""
            )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT policy_pseudonymise(%s, %s)",
                    [self.model._meta.db_table, customer_id],
                )
                return int(cursor.fetchone()[0])
        except DatabaseError as error:
            if getattr(error.__cause__, "pgcode", None) == CLOSURE_NOT_DUE:
                raise ClosureNotDue(str(error).splitlines()[0]) from error
            raise


class AppendOnlyRecord(models.Model):
    """Shared shape of acceptance and consent records."""

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
        help_text=_(
            "Keyed hash of the email address, kept after the account is erased."
        ),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=512, blank=True)

    # What the runtime role may do with the table (onespace.db_roles). UPDATE only for
    # Django's SET_NULL when an account row is deleted, which runs even when no row
    # matches; the trigger refuses any real change outside policy_pseudonymise().
    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT", "UPDATE")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableRecord(f"{type(self).__name__} records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord(f"{type(self).__name__} records are append-only.")


class AcceptanceQuerySet(AppendOnlyQuerySet):
    def for_email(self, email: str) -> "AcceptanceQuerySet":
        """Acceptances given from ``email``, also after the account was erased."""
        return self.filter(pseudonym=pseudonym_of(email))


class Acceptance(AppendOnlyRecord):
    """Proof that a customer acknowledged one notice version (policy clause 3)."""

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Sign-up")
        BANNER = "banner", _("Banner")
        GATE = "gate", _("Gate")

    version = models.ForeignKey(
        NoticeVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    fingerprint = models.CharField(_("fingerprint (SHA-256)"), max_length=64)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    source = models.CharField(_("where"), max_length=10, choices=Source)

    objects = AcceptanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("acceptance record")
        verbose_name_plural = _("acceptance records")
        ordering = ["-accepted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "version"],
                name="policy_acceptance_once_per_version",
            ),
        ]
        # Admin filters by version and by source, newest first.
        indexes = [
            models.Index(fields=["-accepted_at"]),
            models.Index(fields=["version", "-accepted_at"]),
            models.Index(fields=["source", "-accepted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.version.label} @ {self.accepted_at:%Y-%m-%d %H:%M}"


class ConsentRecordQuerySet(AppendOnlyQuerySet):
    def latest_for(self, customer: Any, purpose: str) -> "ConsentRecord | None":
        latest = (
            self.filter(customer=customer, purpose=purpose)
            .order_by("-recorded_at", "-pk")
            .first()
        )
        return cast("ConsentRecord | None", latest)


class ConsentRecord(AppendOnlyRecord):
    """One change of an optional consent, given or withdrawn (PDPA s.19)."""

    class Purpose(models.TextChoices):
        MARKETING_EMAIL = "marketing_email", _("News and offers by email")

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Sign-up")
        PRIVACY_PAGE = "privacy_page", _("Privacy page")

    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose)
    is_given = models.BooleanField(_("given"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    source = models.CharField(_("where"), max_length=20, choices=Source)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "purpose", "-recorded_at"]),
            models.Index(fields=["-recorded_at"]),
            models.Index(fields=["purpose", "-recorded_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'+' if self.is_given else '-'} @ {self.recorded_at:%Y-%m-%d}"


class NoticeDelivery(models.Model):
    """Proof that a customer was emailed about a notice version (policy clause 3)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    version = models.ForeignKey(
        NoticeVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice email")
        verbose_name_plural = _("notice emails")
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["-sent_at"]),
            models.Index(fields=["version", "-sent_at"]),
        ]
        constraints = [
            # Sending again never sends twice: one email per customer and version.
            models.UniqueConstraint(
                fields=["customer", "version"], name="policy_delivery_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} → {self.customer_id}"


# --- Privacy rights (PDPA s.30-37, s.39) ------------------------------------------------


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
        return f"#{self.pk} @ {self.requested_at:%Y-%m-%d %H:%M}"

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
        return f"{self.pseudonym[:12]}… @ {self.requested_at:%Y-%m-%d}"

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


class Breach(models.Model):
    """A personal-data breach and its notification to the regulator (PDPA s.37(4))."""

    class Risk(models.TextChoices):
        NONE = "none", _("Unlikely to result in a risk")
        RISK = "risk", _("Risk to rights and freedoms")
        HIGH = "high", _("High risk: tell the people affected")

    detected_at = models.DateTimeField(_("detected at"))
    became_aware_at = models.DateTimeField(
        _("became aware at"),
        help_text=_("The 72 hours to notify the regulator run from this moment."),
    )
    description = models.TextField(_("what happened"))
    categories = models.JSONField(
        _("categories of data"),
        default=list,
        blank=True,
        help_text=_("Keys of the personal-data registry."),
    )
    people_affected = models.PositiveIntegerField(_("number of people affected"))
    affected_customers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("affected customers"),
        blank=True,
        related_name="+",
    )
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk)
    measures = models.TextField(_("measures taken"), blank=True)
    notified_regulator_at = models.DateTimeField(
        _("regulator notified at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("personal-data breach")
        verbose_name_plural = _("personal-data breaches")
        ordering = ["-became_aware_at", "-pk"]
        permissions = [
            ("notify_breach", _("Can notify customers affected by a breach")),
            (
                "view_processing_record",
                _("Can view the record of processing activities"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(became_aware_at__gte=models.F("detected_at")),
                name="policy_breach_aware_after_detection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.became_aware_at:%Y-%m-%d}: {self.description[:60]}"

    @property
    def regulator_deadline(self) -> datetime:
        """PDPA s.37(4): the regulator is told within 72 hours of becoming aware."""
        return self.became_aware_at + timedelta(hours=72)

    def time_left(self, now: datetime | None = None) -> timedelta:
        return self.regulator_deadline - (now or timezone.now())

    def is_overdue(self, now: datetime | None = None) -> bool:
        if self.notified_regulator_at:
            return self.notified_regulator_at > self.regulator_deadline
        return self.time_left(now) < timedelta(0)


class BreachNotice(models.Model):
    """Proof that one affected customer was emailed about one breach (once)."""

    breach = models.ForeignKey(
        Breach,
        verbose_name=_("breach"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("breach notice")
        verbose_name_plural = _("breach notices")
        constraints = [
            models.UniqueConstraint(
                fields=["breach", "customer"], name="policy_breach_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.breach_id} → {self.customer_id}"


class RetentionSetting(models.Model):
    """A setting the database's own purge and erasure functions read, copied by ``migrate``.

    Written only by the owner role (``migrate`` runs as it: policy.receivers), read-only
    for the application, so the runtime role cannot shorten a retention period or a
    cool-off; the functions also enforce the legal minimum themselves.
    """

    key = models.CharField(max_length=60, primary_key=True)
    value = models.CharField(max_length=60)
    updated_at = models.DateTimeField(auto_now=True)

    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT",)

    class Meta:
        verbose_name = _("retention setting")
        verbose_name_plural = _("retention settings")

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"
