"""Register of processors and sub-processors (PDPA s.40) and transfers abroad (s.28–29).

The record of processing (s.39) and the registry's recipients read this register, so a
category a processor receives can never read "none outside the company".
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProcessorQuerySet(models.QuerySet["Processor"]):
    def active(self, today: date | None = None) -> "ProcessorQuerySet":
        today = today or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))

    def receiving(self, key: str) -> list["Processor"]:
        """Processors that receive the registry category ``key`` (all-data ones included)."""
        return [
            processor
            for processor in self
            if processor.receives_all_categories or key in processor.categories
        ]


class Processor(models.Model):
    """A company that processes personal data for OneSpace: what it receives, where, under which contract."""

    class Role(models.TextChoices):
        MAIL = "mail", _("Email delivery")
        HOSTING = "hosting", _("Hosting")
        PAYMENT = "payment", _("Payment gateway")
        BACKUP = "backup", _("Backup storage")
        OTHER = "other", _("Other")

    class TransferBasis(models.TextChoices):
        # PDPA s.28: the destination's protection is adequate (PDPC list), or an
        # exception applies; s.29: safeguards inside a group or agreed by contract.
        DOMESTIC = "domestic", _("Stays in Thailand: no transfer abroad")
        ADEQUATE = "adequate", _("Destination with adequate protection (s.28)")
        SAFEGUARDS = "safeguards", _("Appropriate safeguards by contract (s.29 para 3)")
        GROUP_RULES = "group_rules", _("Binding rules within a group (s.29 para 1)")
        CONTRACT = "contract", _("Needed for the contract with the customer (s.28(3))")
        CONSENT = "consent", _("The customer's consent, told of the risks (s.28(2))")

    name = models.CharField(_("company"), max_length=200)
    role = models.CharField(_("role"), max_length=10, choices=Role)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("sub-processor of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_processors",
    )
    receives_all_categories = models.BooleanField(
        _("receives every category"),
        default=False,
        help_text=_("Hosting and backups hold the whole database."),
    )
    categories = models.JSONField(
        _("categories received"),
        default=list,
        blank=True,
        help_text=_("Keys of the personal-data registry."),
    )
    country = models.CharField(
        _("country where the data is processed"), max_length=100, blank=True
    )
    transfer_basis = models.CharField(
        _("transfer basis (s.28–29)"),
        max_length=12,
        choices=TransferBasis,
        blank=True,
    )
    contract_reference = models.CharField(
        _("contract / data processing agreement"), max_length=200, blank=True
    )
    contract_signed_on = models.DateField(_("signed on"), null=True, blank=True)
    started_on = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)

    objects = ProcessorQuerySet.as_manager()

    class Meta:
        verbose_name = _("processor")
        verbose_name_plural = _("processors and sub-processors")
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

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
        if not self.receives_all_categories and not self.categories:
            raise ValidationError(
                {"categories": _("Say which categories this processor receives.")}
            )

    @property
    def has_contract(self) -> bool:
        return bool(self.contract_reference and self.contract_signed_on)

    def missing(self) -> list[str]:
        """What the register still lacks for this processor (s.39-40 record, s.28-29 basis)."""
        gaps = []
        if not self.country:
            gaps.append(str(_("country")))
        if not self.transfer_basis:
            gaps.append(str(_("transfer basis")))
        if not self.has_contract:
            gaps.append(str(_("contract reference and date")))
        return gaps

    def recipient_label(self) -> str:
        """How the record of processing names it: company, role, country."""
        where = self.country or _("country not recorded")
        return f"{self.name} ({self.get_role_display()}, {where})"
