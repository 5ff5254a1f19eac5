"""Legal holds: data that purge and erasure must keep while an order says so.

A hold names an order (CCA s.26 preservation order, court order, regulator's request),
the reason, and a scope: a customer, a node, a registry category and/or a date range of
the data; at least one of customer, node or category. It ends on ``ends_on`` (at most two
years after it is placed) or when released; release is recorded, never a deletion. Every
placement and release is also an append-only ``LegalHoldEvent``.
"""

from datetime import date, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onespace.thaidates import format_datetime
from policy.models.records import ImmutableRecord

MAX_HOLD_DAYS = 2 * 365 + 1  # "up to two years", a leap day included


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self, now: datetime | None = None) -> "LegalHoldQuerySet":
        """Holds in force: not released and not past their end date."""
        now = now or timezone.now()
        return self.filter(
            released_at__isnull=True, ends_on__gte=timezone.localdate(now)
        )


class LegalHold(models.Model):
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    node_id = models.CharField(_("node"), max_length=100, blank=True)
    category = models.CharField(
        _("registry category"),
        max_length=100,
        blank=True,
        help_text=_(
            "Key of a category of the personal-data registry; empty: every one."
        ),
    )
    data_from = models.DateTimeField(_("data from"), null=True, blank=True)
    data_until = models.DateTimeField(_("data until"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    order_reference = models.CharField(_("order reference"), max_length=200)
    ends_on = models.DateField(_("ends on"))
    placed_at = models.DateTimeField(
        _("placed at"), default=timezone.now, editable=False
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    released_at = models.DateTimeField(
        _("released at"), null=True, blank=True, editable=False
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    release_reason = models.TextField(_("reason for release"), blank=True)

    # Holds are released, never deleted.
    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT", "UPDATE")

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(customer__isnull=True, node_id="", category=""),
                name="policy_legalhold_has_scope",
            ),
            models.CheckConstraint(
                condition=Q(data_from__isnull=True)
                | Q(data_until__isnull=True)
                | Q(data_from__lte=models.F("data_until")),
                name="policy_legalhold_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_reference} ({self.ends_on})"

    def is_active(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.released_at is None and self.ends_on >= today


class LegalHoldEvent(models.Model):
    """One change of a hold (placed, released), never changed or deleted."""

    class Action(models.TextChoices):
        PLACED = "placed", _("Placed")
        RELEASED = "released", _("Released")

    hold = models.ForeignKey(
        LegalHold,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("hold"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # The hold as it stood after the change (scope, order, dates, reasons).
    state = models.JSONField(_("state"), default=dict)

    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT")

    class Meta:
        verbose_name = _("legal hold history")
        verbose_name_plural = _("legal hold history")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {format_datetime(self.at)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableRecord("Legal hold history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecord("Legal hold history is append-only.")
