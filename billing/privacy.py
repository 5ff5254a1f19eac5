from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.dates import MONTHS
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.models import (
    BillingProfile,
    Document,
    DocumentLine,
    EtaxXml,
    NumberSeries,
    Payment,
    VatRate,
)
from billing.retention import YEARS_KEPT, fiscal_year_end, purge_expired_documents
from policy import registry as privacy


def _fiscal_year_end() -> str:
    month, day = fiscal_year_end()
    return f"{day} {MONTHS[month]}"


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
        "subdistrict_code",
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
        "buyer_address_parts",
        "buyer_tax_id",
        "buyer_branch",
        "buyer_email",
        "buyer_phone",
    )
    export_fields = ("number", "kind", "issued_on", "total", "cancelled_at")
    purpose = _("Issue and keep Thai tax documents (policy 1.3)")
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    # Counted from the end of the accounting period, not from issue (billing.retention).
    retention = timedelta(days=YEARS_KEPT * 365)
    retention_reason = format_lazy(
        _(
            "Revenue Code s.87/3 and Accounting Act s.14: tax documents are kept "
            "{years} years counted from the end of the accounting period in which they "
            "were issued (our fiscal year ends on {fiscal_year_end}), never from the "
            "issue date; erasure keeps them."
        ),
        years=YEARS_KEPT,
        fiscal_year_end=lazy(_fiscal_year_end, str)(),
    )
    recipients = (_("The Revenue Department, on request"),)
    subject = "customer"
    erasure = privacy.Erasure.RETAIN
    retention_from = "issued_on"

    @classmethod
    def retention_display(cls) -> str:
        """In years, from the end of the accounting period (Revenue Code s.87/3)."""
        return ngettext(
            "%(count)d year after the end of the accounting period in which it was issued",
            "%(count)d years after the end of the accounting period in which it was issued",
            YEARS_KEPT,
        ) % {"count": YEARS_KEPT}

    subject_by_id = True  # for_subject reads only the id

    @classmethod
    def for_subject(cls, user: Any) -> QuerySet:
        return Document.objects.issued().filter(customer=user)

    # Both purges (Python and the owner's billing_purge_expired()) leave held documents.
    purge_honours_holds = True

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        """Delete documents past their period, the one deletion the database allows."""
        return purge_expired_documents(now)


@privacy.register
class EtaxXmlData(privacy.Category):
    """The same documents as ETDA e-Tax XML, with the buyer's details (ขมธอ. 3-2568)."""

    key = "billing-etax"
    name = _("e-Tax XML of tax documents")
    model = EtaxXml
    fields = ("xml", "email_message_id", "emailed_at")
    export_fields = ("number", "type_code", "issued_on")
    purpose = _("Issue Thai tax documents electronically (e-Tax Invoice & e-Receipt)")
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = timedelta(days=YEARS_KEPT * 365)
    retention_reason = _("Kept and purged with the tax document it belongs to.")
    recipients = (_("The Revenue Department, through our e-Tax service provider"),)
    subject = "document__customer"
    erasure = privacy.Erasure.RETAIN
    retention_from = "issued_on"

    subject_by_id = True  # for_subject reads only the id

    @classmethod
    def for_subject(cls, user: Any) -> QuerySet:
        return EtaxXml.objects.filter(document__customer=user)

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        """Nothing of its own: the XML goes with its document (IssuedDocumentData)."""
        return 0


privacy.not_personal(
    Document,
    "seller_name",
    "seller_address",
    "seller_address_parts",
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
    EtaxXml,
    "error",
    reason=_(
        "Why signing or ETDA's validator failed: a message about the XML, not the buyer."
    ),
)
privacy.not_personal(
    DocumentLine,
    "description",
    reason=_(
        "The service billed (e.g. a cloud server plan), written by finance or the billing engine."
    ),
)


@privacy.register
class PaymentData(privacy.Category):
    """Payments received and the withholding certificate (50 ทวิ) the customer sent."""

    key = "billing-payment"
    name = _("Payments and withholding tax certificates")
    model = Payment
    # The certificate names the customer as payer (tax id, address): the PDF itself
    # sits in private storage under ``certificate_pdf``.
    fields = ("certificate_number", "certificate_pdf")
    export_fields = (
        "billing_note__number",
        "received_on",
        "net_received",
        "withheld_amount",
        "certificate_received_on",
    )
    purpose = _("Record payments and the tax withheld from them (policy 1.3)")
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = timedelta(days=YEARS_KEPT * 365)
    retention_reason = _(
        "Revenue Code s.87/3: kept with the billing note it pays, and purged with it"
    )
    subject = "billing_note__customer"
    recipients = (_("The Revenue Department, on request"),)
    erasure = privacy.Erasure.RETAIN

    retention_display = IssuedDocumentData.retention_display

    @classmethod
    def export_rows(cls, rows: Any) -> Any:
        """Amounts, dates and the certificate number; the PDF's storage name stays inside."""
        return rows.values("pk", *cls.export_fields, "certificate_number")

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        # Deleted with their billing note (and the file) by IssuedDocumentData's purge.
        return 0


privacy.not_personal(
    Document,
    "pdf",
    "cancelled_pdf",
    reason=_(
        "Storage names of the document's PDFs; the buyer details they print are "
        "declared above, and the files go with the document's retention purge."
    ),
)
privacy.no_personal_data(
    DocumentLine,
    reason=_("The services billed and their prices; the buyer is on the document."),
)
privacy.no_personal_data(NumberSeries, reason=_("Running numbers of tax documents."))
privacy.no_personal_data(VatRate, reason=_("VAT rates and when they apply."))
