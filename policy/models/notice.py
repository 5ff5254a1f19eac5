"""Privacy notice versions, acceptance records, notice emails and optional consents."""

import hashlib
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from onespace.thaidates import format_date, format_datetime
from policy.models.records import AppendOnlyQuerySet, AppendOnlyRecord, ImmutableRecord
from policy.pseudonyms import pseudonym_of as pseudonym_of
from policy.pseudonyms import pseudonyms_of


def fingerprint_of(text_th: str, text_en: str) -> str:
    """SHA-256 of both texts: UTF-8 Thai text, a NUL byte, UTF-8 English text."""
    digest = hashlib.sha256()
    digest.update(text_th.encode())
    digest.update(b"\x00")
    digest.update(text_en.encode())
    return digest.hexdigest()


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
    # The "what we collect" table as published (policy.snapshot), frozen with the text.
    registry_snapshot = models.JSONField(
        _("registry as published"), default=list, blank=True, editable=False
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


class AcceptanceQuerySet(AppendOnlyQuerySet):
    def for_email(self, email: str) -> "AcceptanceQuerySet":
        """Acceptances given from ``email``, also after the account was erased."""
        return self.filter(pseudonym__in=pseudonyms_of(email))


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
        return f"{self.version.label} @ {format_datetime(self.accepted_at)}"


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
        UNSUBSCRIBE_LINK = "unsubscribe", _("Unsubscribe link in an email")

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
        return f"{self.purpose} {'+' if self.is_given else '-'} @ {format_date(self.recorded_at)}"


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
