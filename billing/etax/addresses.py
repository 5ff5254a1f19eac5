"""The parties' addresses in ETDA's parts (e-Tax v2.1 ``PostalTradeAddress``)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from billing.etax import codes


def seller_address_parts() -> dict[str, str]:
    """The seller's address from settings.BILLING_SELLER, as frozen on each document."""
    seller = settings.BILLING_SELLER
    return {
        "line": seller.get("address", ""),
        "building_number": seller.get("building_number", ""),
        "postcode": seller.get("postcode", ""),
        "subdistrict_code": seller.get("subdistrict_code", ""),
    }


def building_number(address_line: str) -> str:
    """The house number (บ้านเลขที่) a Thai address line starts with: "99/1 ถนน…" gives 99/1."""
    words = address_line.replace("เลขที่", " ").split()
    return words[0] if words and any(c.isdigit() for c in words[0]) else ""


def with_codes(parts: dict[str, str]) -> tuple[dict[str, str], str]:
    """A frozen address with its TISI code, and "" or the part that has none.

    A code stored when the document was issued is kept. One frozen without a code (its
    profile saved before ETDA's code lists were installed) is looked up from the frozen
    names, never the live profile. The part is ``province``, ``district``,
    ``subdistrict``, ``lists`` (no code lists) or ``names`` (a one-line address).
    """
    if len(parts.get("subdistrict_code", "")) == 6:
        return parts, ""
    names = [parts.get(key, "") for key in ("province", "district", "subdistrict")]
    if not all(name.strip() for name in names):
        return parts, "names"
    code, missing = codes.lookup(*names)
    if not code:
        return parts, missing
    return {**parts, "subdistrict_code": code}, ""


def _missing(part: str) -> str:
    """The sentence for the part without a code, in the active language."""
    if part == "province":
        return _("the province “%(province)s” is not in ETDA's province list.")
    if part == "district":
        return _(
            "the district “%(district)s” is not in ETDA's list of the districts of "
            "“%(province)s”."
        )
    if part == "subdistrict":
        return _(
            "the sub-district “%(subdistrict)s” is not in ETDA's list of the "
            "sub-districts of “%(district)s”."
        )
    if part == "lists":
        return _("ETDA's code lists are not installed (ETAX_SCHEMA_DIR).")
    return _(
        "the document holds the address as one line, without province, district and "
        "sub-district."
    )


def missing_codes_message(parts: dict[str, str], missing: str) -> str:
    """Why the buyer's address has no TISI codes, in Thai and then in English."""
    names = {key: parts.get(key, "") for key in ("province", "district", "subdistrict")}
    lines = []
    for language in ("th", "en"):
        with translation.override(language):
            lead = _(
                "The buyer's address has no province, district and sub-district codes "
                "from ETDA's TISI code lists:"
            )
            lines.append(f"{lead} {_missing(missing) % names}")
    return "\n".join(lines)
