"""Marketing emails (PDPA s.19): sent only to customers who consented, each with a one-click unsubscribe."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MarketingEmail(models.Model):
    """One news or offers email, in Thai and English, sent to consenting customers only."""

    subject_th = models.CharField(_("subject (Thai)"), max_length=200)
    body_th = models.TextField(_("text (Thai)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("text (English)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    queued_at = models.DateTimeField(_("sending started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("marketing email")
        verbose_name_plural = _("marketing emails")
        ordering = ["-created_at"]
        permissions = [
            (
                "send_marketingemail",
                _("Can send marketing emails to consenting customers"),
            )
        ]

    def __str__(self) -> str:
        return self.subject_th


class MarketingDelivery(models.Model):
    """Proof that one marketing email went to one consenting customer (once)."""

    email = models.ForeignKey(
        MarketingEmail,
        verbose_name=_("marketing email"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("marketing email sent")
        verbose_name_plural = _("marketing emails sent")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "customer"], name="policy_marketing_delivery_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email_id} → {self.customer_id}"
