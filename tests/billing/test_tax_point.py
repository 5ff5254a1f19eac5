"""Revenue Code s.78/1: for services the tax point is payment.

The receipt/tax invoice is dated the day the money arrived, belongs to that day's year's
series and carries the VAT rate in force that day. The clock moves with time-machine.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from billing import services
from billing.models import Document, NumberSeries, VatRate
from tests.billing.conftest import BANGKOK, HOSTING


def bangkok(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BANGKOK)


def pdf_text(document: Document) -> str:
    document.refresh_from_db()
    with storages["private"].open(document.download_pdf, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_receipt_is_dated_the_day_the_money_arrived(
    alice_profile, billing_clock, django_capture_on_commit_callbacks
):
    billing_clock.move_to(bangkok(2026, 11, 20, 9, 0))
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    # Finance records on the 25th the transfer that arrived on the 22nd.
    billing_clock.move_to(bangkok(2026, 11, 25, 16, 0))
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.record_payment(
            note, received_on=datetime.date(2026, 11, 22), net_received=note.total
        )
    receipt = payment.tax_invoices.get()
    assert receipt.issued_on == datetime.date(2026, 11, 22)
    assert receipt.number == "RT2569-000001"
    text = pdf_text(receipt)
    assert "วันที่ (Date) 22 พฤศจิกายน 2569" in text
    assert "ได้รับชำระเงินแล้ววันที่ 22 พฤศจิกายน 2569" in text
    assert "25 พฤศจิกายน 2569" not in text


def test_money_received_on_31_december_recorded_on_1_january_is_in_the_old_series(
    alice_profile, billing_clock, django_capture_on_commit_callbacks
):
    billing_clock.move_to(bangkok(2026, 12, 15, 10, 0))
    december = services.create_billing_note(alice_profile, lines=HOSTING)
    paid_early = services.create_billing_note(alice_profile, lines=HOSTING)
    services.record_payment(
        paid_early,
        received_on=datetime.date(2026, 12, 15),
        net_received=Decimal("3478.04"),
    )
    # 00:30 on 1 January in Bangkok is still 31 December in UTC: the local day counts.
    billing_clock.move_to(bangkok(2027, 1, 1, 0, 30))
    january = services.create_billing_note(alice_profile, lines=HOSTING)
    assert january.number == "BN2570-000001"
    with django_capture_on_commit_callbacks(execute=True):
        late = services.record_payment(
            december,
            received_on=datetime.date(2026, 12, 31),
            net_received=december.total,
        )
        new_year = services.record_payment(
            january, received_on=datetime.date(2027, 1, 1), net_received=january.total
        )
    late_receipt = late.tax_invoices.get()
    assert late_receipt.number == "RT2569-000002"
    assert late_receipt.issued_on == datetime.date(2026, 12, 31)
    assert new_year.tax_invoices.get().number == "RT2570-000001"
    assert set(
        NumberSeries.objects.filter(kind=Document.Kind.TAX_INVOICE).values_list(
            "year", "last_number"
        )
    ) == {(2569, 2), (2570, 1)}
    assert "วันที่ (Date) 31 ธันวาคม 2569" in pdf_text(late_receipt)


@pytest.mark.parametrize(
    ("received_on", "message"),
    [
        (datetime.date(2026, 11, 26), "ต้องไม่เกินวันนี้ (25 พฤศจิกายน 2569)"),
        (datetime.date(2026, 11, 19), "ต้องไม่ก่อนวันที่ของใบแจ้งหนี้ (20 พฤศจิกายน 2569)"),
    ],
)
def test_received_date_in_the_future_or_before_the_bill_is_refused(
    alice_profile, billing_clock, received_on, message
):
    billing_clock.move_to(bangkok(2026, 11, 20, 9, 0))
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    billing_clock.move_to(bangkok(2026, 11, 25, 23, 30))
    with translation.override("th"):
        with pytest.raises(ValidationError) as refused:
            services.record_payment(
                note, received_on=received_on, net_received=note.total
            )
        assert message in " ".join(refused.value.message_dict["received_on"])
    assert not Document.objects.tax_invoices().exists()
    assert not NumberSeries.objects.filter(kind=Document.Kind.TAX_INVOICE).exists()


def test_today_and_the_bills_own_day_are_accepted(alice_profile, billing_clock):
    billing_clock.move_to(bangkok(2026, 11, 25, 23, 59))
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    payment = services.record_payment(
        note, received_on=datetime.date(2026, 11, 25), net_received=note.total
    )
    assert payment.tax_invoices.get().issued_on == datetime.date(2026, 11, 25)


@pytest.fixture
def vat_rises_to_ten_percent(vat_rate):
    """7 % until 30 June 2570, 10 % from 1 July 2570 (a royal decree's kind of change)."""
    vat_rate.valid_until = datetime.date(2027, 6, 30)
    vat_rate.save()
    return VatRate.objects.create(
        rate=Decimal("10.00"), valid_from=datetime.date(2027, 7, 1)
    )


def test_receipt_takes_the_vat_rate_of_the_day_the_money_arrived(
    alice_profile,
    billing_clock,
    vat_rises_to_ten_percent,
    client,
    alice,
    django_capture_on_commit_callbacks,
):
    billing_clock.move_to(bangkok(2027, 6, 20, 10, 0))
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    assert (note.vat_rate, note.total) == (Decimal("7.00"), Decimal("3478.04"))
    billing_clock.move_to(bangkok(2027, 7, 3, 10, 0))
    with pytest.raises(ValidationError) as refused:
        services.record_payment(
            note, received_on=datetime.date(2027, 7, 2), net_received=note.total
        )
    assert "3575.55" in " ".join(refused.value.message_dict["net_received"])
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.record_payment(
            note,
            received_on=datetime.date(2027, 7, 2),
            net_received=Decimal("3575.55"),
        )
    receipt = payment.tax_invoices.get()
    assert (receipt.vat_rate, receipt.vat_amount, receipt.total) == (
        Decimal("10.00"),
        Decimal("325.05"),
        Decimal("3575.55"),
    )
    text = pdf_text(receipt)
    assert "ภาษีมูลค่าเพิ่ม (VAT) 10.00 %" in text
    assert (
        f"ยอดตามใบแจ้งหนี้เลขที่ {note.number} ซึ่งคิดภาษีมูลค่าเพิ่มร้อยละ 7.00 "
        "รวม 3,478.04 บาท ถูกแทนที่ด้วยยอดในเอกสารนี้" in text
    )
    # The bill, immutable, is shown as superseded to its customer.
    assert note.is_superseded
    alice.password_changed_at = bangkok(2027, 7, 1, 9, 0)
    alice.save(update_fields=["password_changed_at"])
    client.force_login(alice)
    page = client.get(reverse("billing:document-detail", args=[note.pk]))
    assert "ถูกแทนที่" in page.content.decode()
    assert receipt.number in page.content.decode()


def test_money_received_before_the_change_keeps_the_old_rate(
    alice_profile, billing_clock, vat_rises_to_ten_percent
):
    billing_clock.move_to(bangkok(2027, 6, 20, 10, 0))
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    billing_clock.move_to(bangkok(2027, 7, 3, 10, 0))
    payment = services.record_payment(
        note, received_on=datetime.date(2027, 6, 30), net_received=note.total
    )
    receipt = payment.tax_invoices.get()
    assert receipt.vat_rate == Decimal("7.00")
    assert not note.is_superseded
