"""A customer adds a billing profile in the browser and downloads their issued invoice."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from billing import services
from billing.models import BillingProfile, VatRate
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def test_customer_adds_billing_profile_and_downloads_issued_invoice(
    page, live_server, tmp_path
):
    VatRate.objects.get_or_create(
        valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal("7.00")}
    )
    alice = CustomerFactory(email="alice@example.com", full_name="Alice Smith")
    sign_in(page, live_server, alice)

    page.goto("/billing/")
    page.get_by_role("link", name="เพิ่มข้อมูลสำหรับออกใบกำกับภาษี").first.click()
    page.fill("#id_legal_name", "บริษัท อลิซ คลาวด์ จำกัด")
    page.fill("#id_tax_id", "0107536000316")  # wrong check digit first
    page.fill("#id_branch", "00000")
    page.fill("#id_address_line", "1 ถนนสีลม")
    page.fill("#id_subdistrict", "สีลม")
    page.fill("#id_district", "บางรัก")
    page.select_option("#id_province", "กรุงเทพมหานคร")
    page.fill("#id_postcode", "10500")
    page.fill("#id_email", "billing@alice.example")
    page.fill("#id_phone", "021234567")
    page.get_by_role("button", name="บันทึก").click()
    assert page.locator(".errorlist").first.is_visible()
    assert not BillingProfile.objects.exists()

    page.fill("#id_tax_id", "0107536000315")
    page.get_by_role("button", name="บันทึก").click()
    page.wait_for_url("**/billing/profiles/")
    assert "บริษัท อลิซ คลาวด์ จำกัด" in page.content()
    profile = BillingProfile.objects.get(customer=alice)
    assert profile.is_default

    # Finance bills and the payment arrives (services, as admin would call them).
    note = services.create_billing_note(
        profile,
        lines=[
            services.LineInput("บริการคลาวด์เซิร์ฟเวอร์", Decimal(1), Decimal("1000.00"))
        ],
    )
    payment = services.record_payment(
        note, received_on=note.issued_on, net_received=note.total
    )
    invoice = payment.tax_invoices.get()

    page.goto("/billing/documents/")
    assert invoice.number in page.content()
    row = page.locator("tr", has_text=invoice.number)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="ดาวน์โหลด PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    saved = tmp_path / "invoice.pdf"
    download.save_as(saved)
    assert Path(saved).read_bytes().startswith(b"%PDF")
