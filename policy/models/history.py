"""Versions of records that must never be rewritten silently: breaches and disclosures.

The record's row is its latest version; each change (and the creation) adds a
``RecordVersion`` with the full state, who and when, and for some changes why. Versions
are append-only (the runtime role may only INSERT and SELECT them), and on PostgreSQL a
deferred trigger refuses to commit a change of a versioned row that has no version row
with its new number (migration 0010): the history cannot be skipped.
"""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policy.models.records import AppendOnlyQuerySet, ImmutableRecord


class RecordVersion(models.Model):
    """One version of a breach or disclosure record: its state after a change, by whom, when."""

    table = models.CharField(_("record type"), max_length=63)
    object_id = models.PositiveBigIntegerField(_("record"))
    number = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("state"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    reason = models.TextField(_("reason for the change"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT")

    class Meta:
        verbose_name = _("record version")
        verbose_name_plural = _("record versions")
        ordering = ["table", "object_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "object_id", "number"],
                name="policy_recordversion_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.table}:{self.object_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableRecord("Record versions are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord("Record versions are append-only.")
