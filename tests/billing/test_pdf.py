"""The rendered PDF carries every element Revenue Code s.86/4 requires, read back with pypdf."""

import io
import unicodedata
from decimal import Decimal

from django.core import mail
from django.core.files.storage import storages
from pypdf import PdfReader

from billing import services
from billing.bahttext import bahttext
from billing.models import Document
from billing.pdf import document_html
from onespace.pdf import FONT_DIR, html_to_pdf
from onespace.thaidates import thai_date


def normalise(text: str) -> str:
    """The text without whitespace: lines may wrap anywhere, every other character counts."""
    return "".join(ch for ch in text if not ch.isspace())


def pdf_pages(document: Document) -> list[str]:
    with storages["private"].open(document.pdf, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return [normalise(page.extract_text()) for page in reader.pages]


def assert_contains(page: str, *expected: str) -> None:
    for text in expected:
        assert normalise(text) in page, text


def test_tax_invoice_pdf_carries_every_element_of_section_86_4(tax_invoice, settings):
    original, copy = pdf_pages(tax_invoice)
    seller = settings.BILLING_SELLER
    assert_contains(
        original,
        "ใบกำกับภาษี",
        "ใบเสร็จรับเงิน",
        seller["name"],
        seller["address"],
        seller["tax_id"],
        "สำนักงานใหญ่",
        tax_invoice.buyer_name,
        tax_invoice.buyer_address,
        tax_invoice.buyer_tax_id,
        tax_invoice.number,
        "บริการคลาวด์เซิร์ฟเวอร์ รายเดือน",
        "2.00",
        "1,500.00",
        "3,000.00",
        "250.50",
        "3,250.50",  # value before VAT
        "227.54",  # VAT shown separately
        "3,478.04",  # total
        bahttext(Decimal("3478.04")),
        thai_date(tax_invoice.issued_on),
        "ต้นฉบับ",
    )
    assert str(tax_invoice.issued_on.year + 543) in original
    assert normalise("สำเนา") not in original
    assert normalise("สำเนา") in copy
    assert normalise("ใบกำกับภาษี") in copy


def test_branch_buyer_is_printed_with_branch_number(
    bob_profile, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.create_billing_note(
            bob_profile,
            lines=[services.LineInput("VPS", Decimal(1), Decimal("100.00"))],
        )
    note.refresh_from_db()
    (original, _copy) = pdf_pages(note)
    assert_contains(
        original, "สาขาที่ 00001", "ใบแจ้งหนี้", bob_profile.tax_id, "หนึ่งร้อยเจ็ดบาทถ้วน"
    )
    # A billing note says it is not a tax invoice.
    assert_contains(original, "ไม่ใช่ใบกำกับภาษี")


def test_credit_note_pdf_cites_the_original(
    tax_invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.issue_adjustment(
            tax_invoice,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=Decimal("3000.00"),
            reason_code=Document.Reason.CDNS03,
        )
    note.refresh_from_db()
    original, _copy = pdf_pages(note)
    assert_contains(
        original,
        "ใบลดหนี้",
        "ใบกำกับภาษี",
        tax_invoice.number,
        thai_date(tax_invoice.issued_on),
        "3,250.50",  # original value
        "3,000.00",  # corrected value
        "250.50",  # difference
        "17.54",  # VAT on the difference
        "268.04",
    )


def test_pdf_is_a4_with_embedded_fonts(tax_invoice):
    with storages["private"].open(tax_invoice.pdf, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert round(width) == 595
    assert round(height) == 842
    fonts = page["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descendant = (
            font["/DescendantFonts"][0].get_object()
            if "/DescendantFonts" in font
            else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "Sarabun" in str(font["/BaseFont"])
        assert any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )


def test_pdf_is_stored_privately_and_emailed_to_the_billing_email(
    tax_invoice, settings
):
    assert tax_invoice.pdf.startswith("billing/")
    assert not str(settings.PRIVATE_STORAGE_ROOT).startswith(str(settings.STATIC_ROOT))
    sent = [m for m in mail.outbox if tax_invoice.number in m.subject]
    assert len(sent) == 1
    assert sent[0].to == [tax_invoice.buyer_email]
    name, content, mimetype = sent[0].attachments[0]
    assert name == f"{tax_invoice.number}.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


def test_pdf_is_rendered_once(tax_invoice):
    first = tax_invoice.pdf
    assert services.render_document_pdf(tax_invoice) == first
    assert (
        len(storages["private"].listdir("billing")[1]) == 2
    )  # billing note + tax invoice


def test_app_html_renders_through_plain_weasyprint_with_the_sarabun_font(tax_invoice):
    html = document_html(tax_invoice)
    assert FONT_DIR.as_uri() in html
    assert html_to_pdf(html).startswith(b"%PDF")


def test_pdf_text_layer_reads_thai_exactly(tax_invoice):
    """Every Thai phrase reads back as written: ำ is U+0E33 and keeps its tone mark."""
    with storages["private"].open(tax_invoice.pdf, "rb") as stored:
        text = PdfReader(io.BytesIO(stored.read())).pages[0].extract_text()
    assert unicodedata.normalize("NFC", text) == text
    for phrase in (
        "ใบเสร็จรับเงิน/ใบกำกับภาษี",
        "ภาษีมูลค่าเพิ่ม",
        "สำนักงานใหญ่",
        "บริษัท อลิซ คลาวด์ จำกัด",
        "บริการคลาวด์เซิร์ฟเวอร์ รายเดือน",
        bahttext(tax_invoice.total),
        "ต้นฉบับ",
    ):
        assert phrase in text, phrase
    assert "\u0e4d" not in text  # ำ never comes out as nikhahit + sara aa
