"""Thai QR Payment (PromptPay) on billing notes: the payload decoded field by field, CRC included."""

import io
import shutil
import subprocess

import pytest
import zxingcpp
from django.core.files.storage import storages
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from billing import services
from billing.etax import promptpay
from tests.billing.conftest import HOSTING
from tests.conftest import skip_or_fail

SELLER_TAX_ID = "0105558000014"


def crc16_ccitt_false(data: bytes) -> int:
    """Written out bit by bit, independently of the code under test."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def decode(payload: str) -> dict[str, str]:
    """EMVCo TLV into {tag: value}; refuses a payload whose CRC does not match."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(payload):
        tag, length = (
            payload[position : position + 2],
            int(payload[position + 2 : position + 4]),
        )
        fields[tag] = payload[position + 4 : position + 4 + length]
        position += 4 + length
    assert position == len(payload)
    assert payload.endswith(fields["63"])
    assert int(fields["63"], 16) == crc16_ccitt_false(payload[:-4].encode())
    return fields


@pytest.fixture
def promptpay_id(settings):
    settings.PROMPTPAY_ID = SELLER_TAX_ID
    return SELLER_TAX_ID


def test_payload_carries_the_exact_amount_the_seller_and_the_bill_number(
    promptpay_id, alice_profile
):
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    fields = decode(promptpay.for_document(note))
    assert fields["00"] == "01"
    assert fields["01"] == "12"  # dynamic: this one payment
    assert fields["53"] == "764"  # baht
    assert fields["54"] == "3478.04" == str(note.total)
    assert fields["58"] == "TH"
    merchant = decode_inner(fields["29"])
    assert merchant == {"00": "A000000677010111", "02": SELLER_TAX_ID}
    assert decode_inner(fields["62"]) == {"05": note.number}


def decode_inner(value: str) -> dict[str, str]:
    inner: dict[str, str] = {}
    position = 0
    while position < len(value):
        tag, length = (
            value[position : position + 2],
            int(value[position + 2 : position + 4]),
        )
        inner[tag] = value[position + 4 : position + 4 + length]
        position += 4 + length
    return inner


def test_a_changed_digit_breaks_the_crc(promptpay_id, alice_profile):
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    payload = promptpay.for_document(note).replace("3478.04", "3478.05")
    with pytest.raises(AssertionError):
        decode(payload)


def test_biller_id_is_a_bill_payment_with_the_number_as_reference_1(
    settings, alice_profile
):
    settings.PROMPTPAY_ID = "biller:010555800001401"
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    fields = decode(promptpay.for_document(note))
    assert "29" not in fields
    assert decode_inner(fields["30"]) == {
        "00": "A000000677010112",
        "01": "010555800001401",
        "02": note.number.replace("-", ""),
    }


def test_the_bill_pdf_and_page_show_the_code_and_the_receipt_does_not(
    promptpay_id, alice, client, tax_invoice
):
    note = tax_invoice.billing_note
    qr = promptpay.qr_for_document(note)
    assert qr.startswith("data:image/svg+xml")
    with storages["private"].open(note.pdf, "rb") as stored:
        text = PdfReader(io.BytesIO(stored.read())).pages[0].extract_text()
    assert f"อ้างอิง {note.number}" in text
    assert "Thai QR Payment" in text
    with storages["private"].open(tax_invoice.pdf, "rb") as stored:
        assert (
            "Thai QR Payment"
            not in PdfReader(io.BytesIO(stored.read())).pages[0].extract_text()
        )
    assert promptpay.for_document(tax_invoice) == ""
    client.force_login(alice)
    # Paid: the page of the bill no longer offers to pay it.
    page = client.get(
        reverse("billing:document-detail", args=[note.pk])
    ).content.decode()
    assert qr not in page


def test_an_unpaid_bill_page_shows_the_code(promptpay_id, alice, client, billing_note):
    client.force_login(alice)
    page = client.get(reverse("billing:document-detail", args=[billing_note.pk]))
    assert promptpay.qr_for_document(billing_note) in page.content.decode()


def test_without_promptpay_id_there_is_no_code(settings, alice_profile):
    settings.PROMPTPAY_ID = ""
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    assert promptpay.for_document(note) == ""
    assert promptpay.qr_for_document(note) == ""


def test_the_code_printed_on_the_bill_scans_to_the_payload(
    promptpay_id, billing_note, tmp_path
):
    """Read what we print: the PDF's page as an image, scanned like a banking app would."""
    if shutil.which("pdftoppm") is None:
        skip_or_fail("needs pdftoppm (apt-get install poppler-utils)")
    with storages["private"].open(billing_note.pdf, "rb") as stored:
        (tmp_path / "bill.pdf").write_bytes(stored.read())
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1"]
        + [tmp_path / "bill.pdf", tmp_path / "page"],
        check=True,
    )
    (page,) = tmp_path.glob("page*.png")
    codes = zxingcpp.read_barcodes(Image.open(page))
    assert [code.format for code in codes] == [zxingcpp.BarcodeFormat.QRCode]
    assert codes[0].text == promptpay.for_document(billing_note)
    assert decode(codes[0].text)["54"] == str(billing_note.total)
