"""Money arithmetic of tax documents: Decimal throughout, rounded half-up to the satang."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SATANG = Decimal("0.01")
HUNDRED = Decimal(100)


def to_satang(value: Decimal) -> Decimal:
    """Round half-up to the satang."""
    return value.quantize(SATANG, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Value of one line: quantity × unit price, to the satang."""
    return to_satang(quantity * unit_price)


def vat_on(value: Decimal, rate: Decimal) -> Decimal:
    """VAT on ``value`` at ``rate`` percent, to the satang."""
    return to_satang(value * rate / HUNDRED)


def withholding_on(value: Decimal, rate: Decimal) -> Decimal:
    """Income tax withheld at ``rate`` percent of a service value before VAT, to the satang."""
    return to_satang(value * rate / HUNDRED)


@dataclass(frozen=True)
class Totals:
    """Value before VAT, VAT and total of a document; total is always subtotal + vat."""

    subtotal: Decimal
    vat_amount: Decimal
    total: Decimal


def totals(lines: Iterable[tuple[Decimal, Decimal]], rate: Decimal) -> Totals:
    """Totals of (quantity, unit price) lines: VAT on the sum of rounded line values."""
    subtotal = sum((line_amount(q, p) for q, p in lines), Decimal("0.00"))
    vat = vat_on(subtotal, rate)
    return Totals(
        subtotal=to_satang(subtotal), vat_amount=vat, total=to_satang(subtotal) + vat
    )
