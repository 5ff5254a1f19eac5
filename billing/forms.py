import unicodedata
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.phone import thai_phone_e164
from billing import services
from billing.etax import codes
from billing.models import (
    BillingProfile,
    Document,
    Payment,
    is_juristic_tax_id,
)

# Thai digits (๐-๙) are what a Thai keyboard types; NFKC turns full-width digits (０-９),
# dashes and spaces into ASCII ones.
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def ascii_digits(value: str) -> str:
    """``value`` with Thai and full-width digits, dashes and spaces written in ASCII."""
    return unicodedata.normalize("NFKC", value).translate(_THAI_DIGITS).strip()


class PoliteErrorsMixin:
    """Field errors as whole sentences in the reader's language (Django's Thai has gaps)."""

    error_messages_by_code = {
        "required": _("Please fill in this field."),
        "max_length": _(
            "Please use at most %(limit_value)d characters (this has %(show_value)d)."
        ),
        "null_characters_not_allowed": _(
            "This text contains a character that cannot be stored; please type it again."
        ),
        "invalid_choice": _("Please choose one of the options listed."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            field.error_messages.update(self.error_messages_by_code)


class AddressCodesMixin(forms.Form):
    """Refuses address names ETDA's TISI code lists do not have, until they are confirmed."""

    # ETDA's e-Tax XML needs the address as TISI codes: names that do not map are refused
    # until the customer confirms them (the XML of their documents then fails, finance
    # is told and corrects it).
    confirm_unlisted_address = forms.BooleanField(
        label=_("My address is right as typed, although ETDA's list does not have it."),
        required=False,
    )

    def _check_address_codes(self, cleaned: dict[str, Any]) -> None:
        """Say which name ETDA's TISI code lists do not have (the e-Tax XML needs codes)."""
        names = [cleaned.get(key) for key in ("province", "district", "subdistrict")]
        if not all(names) or cleaned.get("confirm_unlisted_address"):
            return
        code, missing = codes.lookup(*(str(name) for name in names))
        if code or missing not in ("province", "district", "subdistrict"):
            return  # mapped, or the code lists are not installed (nothing to say)
        messages = {
            "province": _(
                "ETDA's list of provinces does not have this province. If it is right, "
                "tick the box below."
            ),
            "district": _(
                "ETDA's list has no district (amphoe/khet) of this name in the province "
                "chosen; please check the spelling, without the word อำเภอ or เขต. If it "
                "is right, tick the box below."
            ),
            "subdistrict": _(
                "ETDA's list has no sub-district (tambon/khwaeng) of this name in the "
                "district given; please check the spelling, without the word ตำบล or "
                "แขวง. If it is right, tick the box below."
            ),
        }
        self.add_error(missing, messages[missing])


class BillingProfileForm(PoliteErrorsMixin, AddressCodesMixin, forms.ModelForm):
    """A customer's billing profile: the details printed on their tax invoices."""

    # Wider than 13 so a number pasted with dashes reaches clean_tax_id.
    tax_id = forms.CharField(
        label=_("tax ID"),
        max_length=40,
        help_text=_("13-digit taxpayer identification number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("phone"),
        max_length=40,
        help_text=_("A landline (02 123 4567) or a mobile number (081 234 5678)."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
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
        error_messages = {
            "email": {"invalid": _("Enter an email address such as name@example.com.")}
        }
        widgets = {
            "branch": forms.TextInput(attrs={"inputmode": "numeric"}),
            "postcode": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "postal-code"}
            ),
        }

    def clean_tax_id(self) -> str:
        # People paste tax IDs with dashes and spaces (0-1075-36000-31-5), in Thai digits too.
        value = ascii_digits(self.cleaned_data["tax_id"])
        return "".join(ch for ch in value if ch not in " -")

    def clean_branch(self) -> str:
        return ascii_digits(self.cleaned_data["branch"])

    def clean_postcode(self) -> str:
        return ascii_digits(self.cleaned_data["postcode"])

    def clean_phone(self) -> str:
        e164 = thai_phone_e164(ascii_digits(self.cleaned_data["phone"]))
        if e164 is None:
            raise ValidationError(
                _(
                    "Enter a Thai phone number: a landline such as 02 123 4567 or a "
                    "mobile number such as 081 234 5678."
                ),
                code="invalid",
            )
        return e164

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        tax_id, branch = cleaned.get("tax_id"), cleaned.get("branch")
        # Revenue Code s.86/4 (3): a company buyer's branch is printed; a person has none.
        if tax_id and branch == "" and is_juristic_tax_id(tax_id):
            self.add_error(
                "branch",
                _(
                    "A company gives its branch: 00000 for the head office, otherwise "
                    "the 5-digit branch number."
                ),
            )
        self._check_address_codes(cleaned)
        return cleaned


class BillingProfileAdminForm(AddressCodesMixin, forms.ModelForm):
    """Staff edit a profile in admin: the same check of the address against ETDA's lists."""

    class Meta:
        model = BillingProfile
        fields = (
            "customer",
            "is_default",
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
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_address_codes(cleaned)
        return cleaned


class MoneyField(forms.DecimalField):
    """Baht with satang: at most two decimal places."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)  # type: ignore[arg-type]


class CertificateFileField(forms.FileField):
    """The 50 ทวิ withholding certificate as a PDF of at most 5 MB."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("withholding certificate (50 ทวิ), PDF"))
        kwargs.setdefault(
            "widget", forms.ClearableFileInput(attrs={"accept": "application/pdf"})
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload:
            services.check_certificate_pdf(upload)
        return upload


class PaymentForm(forms.ModelForm):
    """Finance records money received against an issued billing note."""

    certificate = CertificateFileField(required=False)

    class Meta:
        model = Payment
        fields = (
            "billing_note",
            "received_on",
            "net_received",
            "withholding_rate",
            "certificate_number",
        )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if "billing_note" in self.fields:
            self.fields["billing_note"].queryset = Document.objects.issued().filter(  # type: ignore[attr-defined]
                kind=Document.Kind.BILLING_NOTE, received_payment__isnull=True
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        note = cleaned.get("billing_note")
        received_on = cleaned.get("received_on")
        net = cleaned.get("net_received")
        if note is not None and received_on is not None and net is not None:
            try:
                services.paid_in_full(
                    note,
                    received_on=received_on,
                    net_received=net,
                    withholding_rate=cleaned.get("withholding_rate") or Decimal(0),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class CertificateForm(PoliteErrorsMixin, forms.Form):
    """The customer (or finance) hands in the 50 ทวิ certificate for a payment."""

    certificate_number = forms.CharField(
        label=_("withholding certificate (50 ทวิ) number"), max_length=50
    )
    certificate = CertificateFileField()


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
