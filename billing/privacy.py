from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from billing.models import BillingProfile, Document, DocumentLine
from policy import registry as privacy

FIVE_YEARS = timedelta(days=5 * 366)


@privacy.register
class BillingProfileData(privacy.Category):
    """Company or personal details a customer keeps for tax invoices (policy 1.3)."""

    key = "billing-profile"
    name = _("Billing profiles")
    model = BillingProfile
    fields = (
        "legal_name",
        "address_line",
        "subdistrict",
        "district",
        "province",
        "postcode",
        "tax_id",
        "branch",
        "email",
        "phone",
    )
    export_fields = ("is_default", "created_at", "updated_at")
    purpose = _("Issue Thai tax invoices (policy 1.3)")
    legal_basis = privacy.Basis.CONTRACT
    retention = None
    retention_reason = _(
        "Kept while the account exists; issued documents keep their own copy."
    )
    subject = "customer"
    erasure = privacy.Erasure.DELETE


@privacy.register
class IssuedDocumentData(privacy.Category):
    """The buyer's details frozen on issued tax documents (Revenue Code s.86/4)."""

    key = "billing-document"
    name = _("Tax invoices, receipts, credit and debit notes")
    model = Document
    fields = (
        "buyer_name",
        "buyer_address",
        "buyer_tax_id",
        "buyer_branch",
        "buyer_email",
        "buyer_phone",
    )
    export_fields = ("number", "kind", "issued_on", "total", "cancelled_at")
    purpose = _("Issue and keep Thai tax documents (policy 1.3)")
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = FIVE_YEARS
    retention_reason = _(
        "Revenue Code s.87/3: tax documents are kept at least 5 years from issue; erasure keeps them."
    )
    recipients = (_("The Revenue Department, on request"),)
    subject = "customer"
    erasure = privacy.Erasure.RETAIN
    retention_from = "issued_at"

    @classmethod
    def for_subject(cls, user: Any) -> QuerySet:
        return Document.objects.issued().filter(customer=user)

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        """Delete documents past the 5 years, the one deletion the database trigger allows."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL billing.retention_purge = 'on'")
            expired = Document.objects.filter(issued_at__lt=now - cls.retention)  # type: ignore[operator]
            return expired.delete_for_retention_purge()


privacy.not_personal(
    Document,
    "seller_name",
    "seller_address",
    "seller_tax_id",
    reason=_("The company's own details as seller, the same on every document."),
)
privacy.not_personal(
    Document,
    "reason_text",
    "reason_label",
    "cancellation_reason",
    reason=_(
        "Finance's account of why a document was corrected, about the document, not a person."
    ),
)
privacy.not_personal(
    DocumentLine,
    "description",
    reason=_(
        "The service billed (e.g. a cloud server plan), written by finance or the billing engine."
    ),
)
