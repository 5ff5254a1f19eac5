"""Template filters for tax documents: baht amounts, Thai words, Buddhist-era dates."""

import datetime
from decimal import Decimal

from django import template

from billing.bahttext import bahttext as _bahttext
from onespace.thaidates import thai_date as _thai_date
from onespace.thaidates import to_local

register = template.Library()


@register.filter
def baht(value: Decimal | None) -> str:
    """``1234.5`` as ``1,234.50``: two decimals, thousands separated."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


@register.filter
def bahttext(value: Decimal | None) -> str:
    """The amount in Thai words."""
    return "" if value is None else _bahttext(value)


@register.filter
def thai_date(value: datetime.date | None) -> str:
    """The (local) date in the Buddhist era, e.g. 25 พฤศจิกายน 2569."""
    return "" if value is None else _thai_date(to_local(value))


@register.filter
def css_string(value: object) -> str:
    """``value`` safe inside a double-quoted CSS string (a margin box's content)."""
    text = str(value)
    return "".join(
        ch if ch.isprintable() and ch not in '"\\<>' else f"\\{ord(ch):x} "
        for ch in text
    )
