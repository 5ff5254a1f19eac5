"""Thai mobile numbers: what we accept at sign-up and store in E.164 (policy 1.1)."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# phonenumbers classes the 060 and 068 mobile ranges as VOIP; they are sold as mobile
# numbers in Thailand, so they count (docs/thai-rules.md).
_VOIP_MOBILE_PREFIXES = ("60", "68")


def thai_mobile_e164(value: str) -> str:
    """Return ``value`` as +66… when it is a Thai mobile number, else raise ValidationError."""
    try:
        number = phonenumbers.parse(value, "TH")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a Thai mobile number: 10 digits starting with 06, 08 or 09."),
            code="invalid",
        ) from None
    if number.country_code != 66:
        raise ValidationError(
            _("Only Thai mobile numbers (+66) can be used."), code="foreign"
        )
    if not phonenumbers.is_valid_number_for_region(number, "TH"):
        raise ValidationError(
            _("Enter a Thai mobile number: 10 digits starting with 06, 08 or 09."),
            code="invalid",
        )
    national = str(number.national_number)
    kind = phonenumbers.number_type(number)
    is_mobile = kind == phonenumbers.PhoneNumberType.MOBILE or (
        kind == phonenumbers.PhoneNumberType.VOIP
        and national.startswith(_VOIP_MOBILE_PREFIXES)
    )
    if not is_mobile or len(national) != 9 or national[0] not in "689":
        raise ValidationError(
            _(
                "This is not a mobile number. Enter a Thai mobile number starting with 06, 08 or 09."
            ),
            code="not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def thai_phone_e164(value: str) -> str | None:
    """``value`` as +66… when it is a Thai landline or mobile number, else None.

    The sign-up rules without the mobile-only one (billing profiles take an office
    landline); the caller words the error for its own form.
    """
    try:
        number = phonenumbers.parse(value, "TH")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 66 or not phonenumbers.is_valid_number_for_region(
        number, "TH"
    ):
        return None
    kind = phonenumbers.number_type(number)
    national = str(number.national_number)
    if kind not in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ) and not (
        kind == phonenumbers.PhoneNumberType.VOIP
        and national.startswith(_VOIP_MOBILE_PREFIXES)
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(e164: str) -> str:
    """The number with all but the last three digits hidden, for pages and logs."""
    if len(e164) <= 3:
        return "***"
    return "*" * (len(e164) - 3) + e164[-3:]
