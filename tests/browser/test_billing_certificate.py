"""A customer who withheld tax hands in the 50 ทวิ certificate as a PDF in the browser."""

import datetime
from decimal import Decimal

import pytest

from billing import services
from billing.models import Payment, VatRate
from tests.browser.test_billing_profile_and_invoice import sign_in
from tests.factories import BillingProfileFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_uploads_the_withholding_certificate(page, live_server, tmp_path):
    VatRate.objects.get_or_create(
        valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal("7.00")}
    )
    alice = CustomerFactory(email="alice@example.com", full_name="Alice Smith")
    profile = BillingProfileFactory(customer=alice)
    note = services.create_billing_note(
        profile,
        lines=[
            services.LineInput("บริการคลาวด์เซิร์ฟเวอร์", Decimal(1), Decimal("1000.00"))
        ],
    )
    payment = services.record_payment(
        note,
        received_on=note.issued_on,
        net_received=Decimal("1040.00"),  # 1,070.00 less 3 % of 1,000.00
        withholding_rate=Decimal("3.00"),
    )
    receipt = payment.tax_invoices.get()
    not_a_pdf = tmp_path / "scan.png"
    not_a_pdf.write_bytes(b"\x89PNG\r\n\x1a\n")
    certificate = tmp_path / "50tawi.pdf"
    certificate.write_bytes(b"%PDF-1.4\n%%EOF\n")

    sign_in(page, live_server, alice)
    page.goto(f"/billing/documents/{receipt.pk}/")
    assert "ยังไม่ได้รับหนังสือรับรอง" in page.content()
    page.get_by_role("link", name="อัปโหลดหนังสือรับรอง (PDF)").click()
    page.fill("#id_certificate_number", "50T-2569-0042")
    page.set_input_files("#id_certificate", str(not_a_pdf))
    page.get_by_role("button", name="บันทึก").click()
    assert "กรุณาอัปโหลดหนังสือรับรองเป็นไฟล์ PDF" in page.content()

    page.set_input_files("#id_certificate", str(certificate))
    page.get_by_role("button", name="บันทึก").click()
    page.wait_for_url(f"**/billing/documents/{receipt.pk}/")
    assert "50T-2569-0042" in page.content()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="ดาวน์โหลดหนังสือรับรอง").click()
    saved = tmp_path / "downloaded.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == certificate.read_bytes()
    assert not Payment.objects.missing_certificate().exists()
