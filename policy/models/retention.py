"""Retention settings the database's own purge and erasure functions read."""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionSetting(models.Model):
    """A setting the database's own purge and erasure functions read, copied by ``migrate``.

    Written only by the owner role (``migrate`` runs as it: policy.receivers), read-only
    for the application, so the runtime role cannot shorten a retention period or a
    cool-off; the functions also enforce the legal minimum themselves.
    """

    key = models.CharField(max_length=60, primary_key=True, verbose_name=_("setting"))
    value = models.CharField(max_length=60, verbose_name=_("value"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT",)

    class Meta:
        verbose_name = _("retention setting")
        verbose_name_plural = _("retention settings")

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"
