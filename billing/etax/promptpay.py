"""Thai QR Payment (EMVCo merchant-presented mode, PromptPay) for a billing note.

The payload is EMVCo TLV: ID, two-digit length, value; it ends with tag 63, the
CRC-16/CCITT-FALSE (polynomial 0x1021, start 0xFFFF) of everything before its value.
``settings.PROMPTPAY_ID`` is a 13-digit tax ID (or 10-digit mobile number, 15-digit
e-wallet) for a PromptPay credit transfer (tag 29), or a 15-digit biller ID with the
suffix, written ``biller:<id>``, for a bill payment (tag 30); the amount is exact and
the billing note number is the reference (tag 62, reference label, and for a bill
payment also reference 1, which Thai banks take as capitals and digits only).
"""

import binascii
import re
from decimal import Decimal

import segno
from django.conf import settings

from billing.models import Document

PROMPTPAY_AID = "A000000677010111"  # credit transfer
BILL_PAYMENT_AID = "A000000677010112"
THB = "764"


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMVCo field {tag} is longer than 99 characters.")
    return f"{tag}{len(value):02d}{value}"


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE, as EMVCo's tag 63 carries it: four upper-case hex digits."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def _merchant(promptpay_id: str, reference: str) -> str:
    if promptpay_id.startswith("biller:"):
        biller = re.sub(r"\D", "", promptpay_id.removeprefix("biller:"))
        ref1 = re.sub(r"[^A-Z0-9]", "", reference.upper())[:20]
        return tlv(
            "30",
            tlv("00", BILL_PAYMENT_AID) + tlv("01", biller) + tlv("02", ref1),
        )
    digits = re.sub(r"\D", "", promptpay_id)
    if len(digits) == 10:  # a mobile number: 0066 and the number without its 0
        kind, target = "01", f"0066{digits[1:]}"
    elif len(digits) == 13:
        kind, target = "02", digits
    else:
        kind, target = "03", digits
    return tlv("29", tlv("00", PROMPTPAY_AID) + tlv(kind, target))


def payload(promptpay_id: str, *, amount: Decimal, reference: str) -> str:
    """The Thai QR Payment payload for ``amount`` baht with ``reference``."""
    body = (
        tlv("00", "01")
        + tlv("01", "12")  # dynamic: one payment of this amount
        + _merchant(promptpay_id, reference)
        + tlv("53", THB)
        + tlv("54", f"{amount.quantize(Decimal('0.01'))}")
        + tlv("58", "TH")
        + tlv("62", tlv("05", reference[:25]))
        + "6304"
    )
    return body + crc16(body)


def for_document(document: Document) -> str:
    """The payload of a billing note, or "" when PROMPTPAY_ID is unset or it is no bill."""
    if (
        not settings.PROMPTPAY_ID
        or document.kind != Document.Kind.BILLING_NOTE
        or not document.number
    ):
        return ""
    return payload(
        settings.PROMPTPAY_ID, amount=document.total, reference=document.number
    )


def svg_data_uri(data: str) -> str:
    """The QR code of ``data`` as an SVG data URI (segno), for the PDF and the page."""
    return segno.make(data, error="m", micro=False).svg_data_uri(scale=4, border=2)


def qr_for_document(document: Document) -> str:
    """A billing note's Thai QR Payment code as an SVG data URI, or "" (no PROMPTPAY_ID)."""
    data = for_document(document)
    return svg_data_uri(data) if data else ""
