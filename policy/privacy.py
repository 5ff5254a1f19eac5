"""Personal data of the policy app: acceptance records, consents, notice emails."""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from policy import registry as privacy
from policy.models import Acceptance, ConsentRecord, NoticeDelivery


@privacy.register
class AcceptanceData(privacy.Category):
    """Who accepted which notice version, when, from where (policy clause 3)."""

    key = "policy-acceptance"
    name = _("Privacy notice acceptance records")
    model = Acceptance
    fields = ("pseudonym", "ip_address", "user_agent")
    purpose = _(
        "Prove that you were shown and accepted each version of the privacy notice "
        "(policy clause 3)"
    )
    legal_basis = privacy.Basis.LEGITIMATE_INTEREST
    retention = None
    retention_reason = _(
        "Kept as the company's proof; when the account is erased, the address and "
        "browser are removed and only a keyed hash of the email address remains"
    )
    subject = "customer"
    erasure = privacy.Erasure.ANONYMISE
    export_fields = ("version__label", "fingerprint", "accepted_at", "source")

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Pseudonymise instead of deleting: the record stays the company's proof."""
        return Acceptance.objects.filter(customer_id=user.pk).pseudonymise()

    @classmethod
    def anonymised_values(cls) -> dict[str, object]:
        # The pseudonym is what keeps the record useful as proof; it is not blanked.
        return {"ip_address": None, "user_agent": ""}


@privacy.register
class ConsentData(privacy.Category):
    """Each time an optional consent was given or withdrawn."""

    key = "policy-consent"
    name = _("Consents for optional uses")
    model = ConsentRecord
    fields = ("pseudonym", "ip_address", "user_agent")
    purpose = _(
        "Know whether you agreed to optional uses such as news and offers by email, "
        "and prove it (PDPA s.19)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _(
        "Kept as proof of consent; when the account is erased, the address and browser "
        "are removed and only a keyed hash of the email address remains"
    )
    subject = "customer"
    erasure = privacy.Erasure.ANONYMISE
    export_fields = ("purpose", "is_given", "recorded_at", "source")

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Pseudonymise instead of deleting: the record stays the company's proof."""
        return ConsentRecord.objects.filter(customer_id=user.pk).pseudonymise()

    @classmethod
    def anonymised_values(cls) -> dict[str, object]:
        return {"ip_address": None, "user_agent": ""}


@privacy.register
class NoticeDeliveryData(privacy.Category):
    """When a customer was emailed about a new notice version."""

    key = "policy-notice-email"
    name = _("Privacy notice emails sent")
    model = NoticeDelivery
    fields = ()
    purpose = _(
        "Prove that you were told of a change before it took effect (policy clause 3)"
    )
    legal_basis = privacy.Basis.LEGITIMATE_INTEREST
    retention = timedelta(days=5 * 365)
    retention_reason = _(
        "Kept five years as proof of notification, or until the account is erased"
    )
    retention_from = "sent_at"
    subject = "customer"
    erasure = privacy.Erasure.DELETE
    export_fields = ("version__label", "sent_at")
