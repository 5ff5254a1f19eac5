from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from stdnum.th import tin


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
                    id="billing.E001",
                )
            )
    if seller.get("tax_id") and not tin.is_valid(str(seller["tax_id"])):
        errors.append(
            Error(
                "BILLING_SELLER['tax_id'] is not a valid 13-digit Thai tax ID.",
                hint="Set BILLING_SELLER_TAX_ID to the company's taxpayer number.",
                id="billing.E002",
            )
        )
    branch = str(seller.get("branch", ""))
    if branch and not (len(branch) == 5 and branch.isdigit()):
        errors.append(
            Error(
                "BILLING_SELLER['branch'] must be 5 digits (00000 for the head office).",
                id="billing.E003",
            )
        )
    return errors
