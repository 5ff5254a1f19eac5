from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.models import Document, DocumentLine


class LineInputSerializer(serializers.Serializer):
    """One line of a bill as the billing engine sends it."""

    description = serializers.CharField(max_length=300)
    quantity = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("The quantity must be more than zero.")},
    )
    unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.00"),
        error_messages={"min_value": _("The unit price cannot be negative.")},
    )


class InvoiceInputSerializer(serializers.Serializer):
    """POST /api/v1/invoices/: bill a customer's billing profile."""

    customer_id = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text=_("The customer's user id.")
    )
    billing_profile_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text=_(
            "One of the customer's billing profiles; the default one when omitted."
        ),
    )
    # One bill's PDF is rendered in one task: the line count bounds its time.
    lines = LineInputSerializer(
        many=True,
        allow_empty=False,
        max_length=settings.BILLING_INVOICE_MAX_LINES,  # type: ignore[call-arg]
    )


class DocumentLineOutputSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = DocumentLine
        fields = ("description", "quantity", "unit_price", "amount")


class InvoiceOutputSerializer(serializers.ModelSerializer):
    lines = DocumentLineOutputSerializer(many=True, read_only=True)
    customer_id = serializers.IntegerField(read_only=True, allow_null=True)
    # Where the customer downloads the PDF (PDF/A-3 with the e-Tax XML inside) and the
    # XML, once the render task has made them (until then they answer 404).
    pdf_url = serializers.HyperlinkedIdentityField(
        view_name="billing:document-pdf", read_only=True
    )
    xml_url = serializers.HyperlinkedIdentityField(
        view_name="billing:document-xml", read_only=True
    )

    class Meta:
        model = Document
        fields = (
            "id",
            "number",
            "kind",
            "status",
            "customer_id",
            "issued_on",
            "vat_rate",
            "subtotal",
            "vat_amount",
            "total",
            "buyer_name",
            "buyer_tax_id",
            "buyer_branch",
            "lines",
            "pdf_url",
            "xml_url",
        )
        read_only_fields = fields
