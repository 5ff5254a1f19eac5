"""Personal-data breaches, their notification to the regulator and to customers (s.37(4))."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onespace.thaidates import format_date


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
    # Opened automatically from an access violation or a lockout spike: the Privacy
    # officer confirms it (it becomes a breach) or dismisses it, with a reason.
    is_candidate = models.BooleanField(
        _("candidate, to confirm or dismiss"), default=False
    )
    source = models.CharField(_("opened from"), max_length=200, blank=True)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    # The number of the latest RecordVersion (policy.history): each change adds one.
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

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
        return f"{format_date(self.became_aware_at)}: {self.description[:60]}"

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


class BreachAlert(models.Model):
    """One 72-hour-clock alert (24, 48 or 66 h after awareness) emailed to the Privacy officers."""

    breach = models.ForeignKey(
        Breach,
        verbose_name=_("breach"),
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    hours = models.PositiveSmallIntegerField(_("hours after awareness"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("breach clock alert")
        verbose_name_plural = _("breach clock alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["breach", "hours"], name="policy_breach_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.breach_id} +{self.hours} h"


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
