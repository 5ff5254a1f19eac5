"""The parties' addresses in ETDA's parts (e-Tax v2.1 ``PostalTradeAddress``)."""

from django.conf import settings


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
