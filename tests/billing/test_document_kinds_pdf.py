"""Every kind of document read back from its PDF: wording, codes, values, captions, page marks.

Text is compared exactly as extracted (pypdf), page by page; only line breaks inside long
paragraphs are joined.
"""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from billing import services
from billing.models import Document
from tests.billing.conftest import HOSTING, lines
from tests.factories import BillingProfileFactory


def pages(document: Document, field: str = "pdf") -> list[str]:
    document.refresh_from_db()
    with storages["private"].open(getattr(document, field), "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return [page.extract_text() for page in reader.pages]


def joined(text: str) -> str:
    return " ".join(text.split())


def issue(django_capture_on_commit_callbacks, make, *args, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return make(*args, **kwargs)


@pytest.fixture
def person_profile(alice):
    return BillingProfileFactory(
        customer=alice,
        is_default=False,
        legal_name="นางสาวน้ำฝน ใจดี",
        tax_id="3100600445635",
        branch="",
    )


def test_billing_note_pdf_says_it_is_not_a_tax_invoice_and_has_billing_captions(
    billing_note,
):
    original, copy = pages(billing_note)
    assert "ใบแจ้งหนี้" in original
    assert "เอกสารนี้ไม่ใช่ใบกำกับภาษี" in original
    assert "ผู้วางบิล" in original
    assert "ผู้รับวางบิล" in original
    assert "ผู้รับเงิน" not in original
    assert "ผู้มีอำนาจลงนาม" not in original
    assert f"เลขที่ {billing_note.number} · ต้นฉบับ" in original
    assert f"เลขที่ {billing_note.number} · สำเนา" in copy
    assert "หน้า 1/1" in original
    assert "หน้า 1/1" in copy


def test_receipt_pdf_has_the_receivers_caption(tax_invoice):
    original, _copy = pages(tax_invoice)
    assert "ใบเสร็จรับเงิน/ใบกำกับภาษี" in original
    assert "ผู้รับเงิน" in original
    assert "ผู้วางบิล" not in original
    assert "ได้รับชำระเงินแล้ววันที่ 25 พฤศจิกายน 2569" in original


def test_a_person_buyer_gets_no_head_office(
    person_profile, django_capture_on_commit_callbacks
):
    note = issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        person_profile,
        lines=HOSTING,
    )
    original, _copy = pages(note)
    assert "นางสาวน้ำฝน ใจดี" in original
    assert "เลขประจำตัวผู้เสียภาษีอากร 3100600445635\n" in original
    assert "3100600445635 · สำนักงานใหญ่" not in original
    # The seller, a company, keeps its head office.
    assert f"{settings.BILLING_SELLER['tax_id']} · สำนักงานใหญ่" in original


def test_credit_note_pdf_prints_etda_code_and_wording_and_both_values(
    tax_invoice, django_capture_on_commit_callbacks
):
    first = issue(
        django_capture_on_commit_callbacks,
        services.issue_adjustment,
        tax_invoice,
        kind=Document.Kind.CREDIT_NOTE,
        corrected_value=Decimal("3000.00"),
        reason_code=Document.Reason.CDNS03,
    )
    second = issue(
        django_capture_on_commit_callbacks,
        services.issue_adjustment,
        tax_invoice,
        kind=Document.Kind.CREDIT_NOTE,
        corrected_value=Decimal("2500.00"),
        reason_code=Document.Reason.CDNS99,
        reason_text="ลูกค้ายกเลิกพื้นที่สำรองข้อมูล",
    )
    text = joined(pages(first)[0])
    assert "ใบลดหนี้/ใบกำกับภาษี" in text
    assert "เหตุผล: CDNS03 คำนวณราคาค่าบริการผิดพลาดสูงกว่าที่เป็นจริง" in text
    assert "มูลค่าตามใบกำกับภาษีเดิม 3,250.50 บาท" in text
    assert "มูลค่าก่อนออกเอกสารฉบับนี้" not in text  # the first note: same value
    assert "ผู้มีอำนาจลงนาม" in text
    assert "ผู้รับเงิน" not in text
    text = joined(pages(second)[0])
    assert "มูลค่าตามใบกำกับภาษีเดิม 3,250.50 บาท" in text
    assert "มูลค่าก่อนออกเอกสารฉบับนี้ (หลังใบลดหนี้/ใบเพิ่มหนี้ที่ออกก่อนหน้า) 3,000.00 บาท" in text
    assert "มูลค่าที่ถูกต้อง 2,500.00 บาท" in text
    assert "ผลต่าง 500.00 บาท" in text
    assert "เหตุผล: CDNS99 เหตุอื่น (ระบุสาเหตุ) — ลูกค้ายกเลิกพื้นที่สำรองข้อมูล" in text
    assert f"ลดมูลค่าบริการตามใบกำกับภาษีเลขที่ {tax_invoice.number}" in text
    assert "Credit on" not in text  # Alice reads Thai


def test_debit_note_pdf_prints_etda_code_and_wording(
    tax_invoice, django_capture_on_commit_callbacks
):
    note = issue(
        django_capture_on_commit_callbacks,
        services.issue_adjustment,
        tax_invoice,
        kind=Document.Kind.DEBIT_NOTE,
        corrected_value=Decimal("3500.00"),
        reason_code=Document.Reason.DBNS01,
    )
    text = joined(pages(note)[0])
    assert "ใบเพิ่มหนี้/ใบกำกับภาษี" in text
    assert "เหตุผล: DBNS01 การเพิ่มราคาค่าบริการ (บริการเกินกว่าข้อกำหนดที่ตกลงกัน)" in text
    assert f"เพิ่มมูลค่าบริการตามใบกำกับภาษีเลขที่ {tax_invoice.number}" in text


def test_note_lines_are_thai_whatever_the_staff_language_with_english_for_an_english_buyer(
    tax_invoice, alice, django_capture_on_commit_callbacks
):
    with translation.override("en"):  # finance clicks in English
        thai_only = services.issue_adjustment(
            tax_invoice,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=Decimal("3200.00"),
            reason_code=Document.Reason.CDNS01,
        )
    assert thai_only.lines.get().description == (
        f"ลดมูลค่าบริการตามใบกำกับภาษีเลขที่ {tax_invoice.number}"
    )
    alice.language = "en"
    alice.save(update_fields=["language"])
    with translation.override("th"):
        both = issue(
            django_capture_on_commit_callbacks,
            services.issue_adjustment,
            tax_invoice,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=Decimal("3100.00"),
            reason_code=Document.Reason.CDNS01,
        )
    assert both.lines.get().description == (
        f"ลดมูลค่าบริการตามใบกำกับภาษีเลขที่ {tax_invoice.number}\n"
        f"Credit on tax invoice {tax_invoice.number}"
    )
    text = pages(both)[0]
    assert f"ลดมูลค่าบริการตามใบกำกับภาษีเลขที่ {tax_invoice.number}" in joined(text)
    assert f"Credit on tax invoice {tax_invoice.number}" in joined(text)


def test_etda_reason_codes_are_etdas_service_codes():
    assert [reason.value for reason in Document.CREDIT_REASONS] == [
        "CDNS01",
        "CDNS02",
        "CDNS03",
        "CDNS04",
        "CDNS99",
    ]
    assert [reason.value for reason in Document.DEBIT_REASONS] == [
        "DBNS01",
        "DBNS02",
        "DBNS99",
    ]
    assert Document.REASON_WORDING[Document.Reason.CDNS02] == "ค่าบริการขาดจำนวน"
    assert Document.REASON_WORDING[Document.Reason.CDNS04] == "บอกเลิกสัญญาบริการ"


def test_every_reason_code_is_in_etdas_code_list(etda):
    codes = (
        etda
        / "e-tax-invoice-receipt-v2.1"
        / "ETDA/codelist/standard/Thai_MessageFunctionCode_1p0.xsd"
    ).read_text()
    for reason in Document.Reason:
        assert f'value="{reason.value}"' in codes


def test_a_note_issued_before_the_etda_list_keeps_the_label_it_printed():
    earlier = Document(
        kind=Document.Kind.CREDIT_NOTE, reason_code="CDNS03", reason_label=""
    )
    assert earlier.reason_display == (
        "ลดค่าบริการ เนื่องจากบริการไม่เป็นไปตามข้อกำหนด (CDNS03)"
    )
    assert Document(kind=Document.Kind.DEBIT_NOTE, reason_code="99").reason_display == (
        "เหตุอื่น (99)"
    )


def test_replacement_carries_the_originals_date_and_the_rd_wording(
    tax_invoice, alice, billing_clock, django_capture_on_commit_callbacks
):
    import datetime

    corrected = BillingProfileFactory(
        customer=alice, is_default=False, legal_name="บริษัท อลิซ (ประเทศไทย) จำกัด"
    )
    billing_clock.move_to(datetime.datetime(2026, 12, 3, 11, 0, tzinfo=datetime.UTC))
    replacement = issue(
        django_capture_on_commit_callbacks,
        services.replace_tax_invoice,
        tax_invoice,
        profile=corrected,
        reason="ชื่อผู้ซื้อผิด",
    )
    assert replacement.issued_on == tax_invoice.issued_on
    text = joined(pages(replacement)[0])
    assert (
        "ยกเลิกและออกใบกำกับภาษีฉบับใหม่แทนฉบับเดิม "
        f"เลขที่ {tax_invoice.number} ลงวันที่ 25 พฤศจิกายน 2569 เนื่องจาก ชื่อผู้ซื้อผิด"
    ) in text
    assert "วันที่ (Date) 25 พฤศจิกายน 2569" in text
    assert "บริษัท อลิซ (ประเทศไทย) จำกัด" in text


def test_the_cancelled_original_keeps_the_pdf_sent_and_downloads_as_cancelled(
    tax_invoice, alice, alice_profile, client, django_capture_on_commit_callbacks
):
    sent = pages(tax_invoice)
    assert not any("ยกเลิก" in page for page in sent)
    issue(
        django_capture_on_commit_callbacks,
        services.replace_tax_invoice,
        tax_invoice,
        profile=alice_profile,
        reason="ที่อยู่ผู้ซื้อผิด",
    )
    tax_invoice.refresh_from_db()
    assert pages(tax_invoice) == sent  # the PDF that was sent is kept as it was
    cancelled = pages(tax_invoice, "cancelled_pdf")
    for page in cancelled:
        assert f"เลขที่ {tax_invoice.number}" in page
        assert "ยกเลิก" in page
    assert "ยกเลิก / CANCELLED" in cancelled[0]
    client.force_login(alice)
    response = client.get(reverse("billing:document-pdf", args=[tax_invoice.pk]))
    downloaded = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert "ยกเลิก / CANCELLED" in downloaded.pages[0].extract_text()


def test_multi_page_document_marks_every_page_and_keeps_the_closing_together(
    alice_profile, django_capture_on_commit_callbacks
):
    many = lines(
        *[
            (f"บริการคลาวด์เซิร์ฟเวอร์ เครื่องที่ {n} (ค้ำประกันความพร้อมใช้งาน)", "1", "100.00")
            for n in range(1, 46)
        ]
    )
    note = issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        alice_profile,
        lines=many,
    )
    texts = pages(note)
    count = len(texts) // 2
    assert count >= 2
    for copy, mark in enumerate(("ต้นฉบับ", "สำเนา")):
        for number in range(1, count + 1):
            page = texts[copy * count + number - 1]
            assert f"เลขที่ {note.number} · {mark}" in page
            assert f"หน้า {number}/{count}" in page
            # The line table's header repeats on every page.
            assert "รายการ (Description)" in page
        last = texts[copy * count + count - 1]
        # Totals, amount in words and signatures are on one page.
        for closing in ("รวมทั้งสิ้น (Total)", "ตัวอักษร:", "ผู้วางบิล", "ผู้รับวางบิล"):
            assert closing in last
            assert all(closing not in texts[copy * count + n] for n in range(count - 1))
