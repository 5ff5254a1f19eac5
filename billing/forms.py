from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing import services
from billing.models import BillingProfile, Document, Payment


class BillingProfileForm(forms.ModelForm):
    """A customer's billing profile: the details printed on their tax invoices."""

    # Wider than 13 so a number pasted with dashes reaches clean_tax_id.
    tax_id = forms.CharField(
        label=_("tax ID"),
        max_length=20,
        help_text=_("13-digit taxpayer identification number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = BillingProfile
        fields = (
            "legal_name",
            "tax_id",
            "branch",
            "address_line",
            "subdistrict",
            "district",
            "province",
            "postcode",
            "email",
            "phone",
            "is_default",
        )
        widgets = {
            "tax_id": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off"}
            ),
            "branch": forms.TextInput(attrs={"inputmode": "numeric"}),
            "postcode": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "postal-code"}
            ),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    def clean_tax_id(self) -> str:
        # People paste tax IDs with dashes and spaces (0-1075-36000-31-5).
        return "".join(ch for ch in self.cleaned_data["tax_id"] if ch not in " -")

    def clean_branch(self) -> str:
        return self.cleaned_data["branch"].strip()


class MoneyField(forms.DecimalField):
    """Baht with satang: at most two decimal places."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)  # type: ignore[arg-type]


class PaymentForm(forms.ModelForm):
    """Finance records money received against an issued billing note."""

    class Meta:
        model = Payment
        fields = (
            "billing_note",
            "received_on",
            "net_received",
            "withheld_amount",
            "certificate_number",
        )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if "billing_note" in self.fields:
            self.fields["billing_note"].queryset = Document.objects.issued().filter(  # type: ignore[attr-defined]
                kind=Document.Kind.BILLING_NOTE, received_payment__isnull=True
            )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        note = cleaned.get("billing_note")
        net = cleaned.get("net_received")
        if note is not None and net is not None:
            try:
                services.paid_in_full(
                    note,
                    net_received=net,
                    withheld_amount=cleaned.get("withheld_amount") or Decimal(0),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class AdjustmentForm(forms.Form):
    """A credit or debit note against an issued receipt/tax invoice."""

    original = forms.ModelChoiceField(
        label=_("Original tax invoice"),
        queryset=Document.objects.issued()
        .tax_invoices()
        .filter(cancelled_at__isnull=True),
    )
    corrected_value = MoneyField(
        label=_("Corrected value before VAT"), min_value=Decimal("0.00")
    )
    reason_code = forms.ChoiceField(label=_("Reason"), choices=Document.Reason.choices)
    reason_text = forms.CharField(
        label=_("Reason details"), required=False, max_length=300
    )


class ReplacementForm(forms.Form):
    """Cancel a receipt/tax invoice with wrong buyer details and issue a new one."""

    profile = forms.ModelChoiceField(
        label=_("Corrected billing profile"), queryset=BillingProfile.objects.all()
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
