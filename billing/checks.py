from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from stdnum.th import tin

# The tax ID settings.py starts with: an example, not the company's (see services).
PLACEHOLDER_SELLER_TAX_ID = "0107536000315"


def _digits(value: str, count: int) -> bool:
    return len(value) == count and value.isascii() and value.isdigit()


@register()
def check_seller(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Revenue Code s.86/4 (1): the seller's name, address, tax ID and branch are complete and valid."""
    seller = getattr(settings, "BILLING_SELLER", None)
    if not isinstance(seller, dict):
        return [
            Error(
                "BILLING_SELLER must be a dict with name, address, tax_id and branch.",
                id="billing.E001",
            )
        ]
    errors = []
    for key in ("name", "address", "tax_id", "branch"):
        if not str(seller.get(key, "")).strip():
            errors.append(
                Error(
                    f"BILLING_SELLER[{key!r}] is empty; tax invoices must show it.",
                    hint=f"Set BILLING_SELLER_{key.upper()}.",
                    id="billing.E001",
                )
            )
    tax_id = str(seller.get("tax_id", ""))
    # 13 ASCII digits exactly: stdnum alone also accepts dashes and spaces.
    if tax_id and not (_digits(tax_id, 13) and tin.is_valid(tax_id)):
        errors.append(
            Error(
                "BILLING_SELLER['tax_id'] is not a valid 13-digit Thai tax ID.",
                hint="Set BILLING_SELLER_TAX_ID to the company's taxpayer number, "
                "13 digits without dashes.",
                id="billing.E002",
            )
        )
    branch = str(seller.get("branch", ""))
    if branch and not _digits(branch, 5):
        errors.append(
            Error(
                "BILLING_SELLER['branch'] must be 5 digits (00000 for the head office).",
                hint="Set BILLING_SELLER_BRANCH.",
                id="billing.E003",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_seller_is_not_the_example(
    app_configs: Any = None, **kwargs: Any
) -> list[Error]:
    """Production issues tax documents in the company's own name, not the example's."""
    seller = getattr(settings, "BILLING_SELLER", None)
    if isinstance(seller, dict) and seller.get("tax_id") == PLACEHOLDER_SELLER_TAX_ID:
        return [
            Error(
                "BILLING_SELLER is the example seller; issuing is refused until it is set.",
                hint="Set BILLING_SELLER_NAME, BILLING_SELLER_ADDRESS, "
                "BILLING_SELLER_TAX_ID and BILLING_SELLER_BRANCH.",
                id="billing.E004",
            )
        ]
    return []


@register()
def check_etax_certificate(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """A configured e-Tax certificate that cannot sign is said before the first document fails."""
    if not getattr(settings, "ETAX_CERT_FILE", ""):
        return []
    from billing.etax import signature

    try:
        signature.load()
    except signature.CertificateProblem as problem:
        return [
            Warning(
                f"ETAX_CERT_FILE cannot sign e-Tax XML: {problem}",
                hint="Every document's XML is marked failed until it is fixed; "
                "see README, Billing, e-Tax.",
                id="billing.W005",
            )
        ]
    return []
