"""Withholding at 1, 1.5, 2, 3 or 5 % (or none) and the 50 ทวิ certificate as a private PDF."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing import services
from billing.models import Payment

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def certificate(content: bytes = PDF, name: str = "50tawi.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.parametrize(
    ("rate", "withheld"),
    [
        ("0.00", "0.00"),
        ("1.00", "32.51"),  # 32.505 half-up
        ("1.50", "48.76"),  # 48.7575
        ("2.00", "65.01"),
        ("3.00", "97.52"),  # 97.515
        ("5.00", "162.53"),  # 162.525
    ],
)
def test_each_withholding_rate_is_taken_on_the_value_before_vat_half_up(
    billing_note, rate, withheld
):
    assert billing_note.subtotal == Decimal("3250.50")
    payment = services.record_payment(
        billing_note,
        received_on=billing_note.issued_on,
        net_received=billing_note.total - Decimal(withheld),
        withholding_rate=Decimal(rate),
    )
    assert payment.withheld_amount == Decimal(withheld)
    receipt = payment.tax_invoices.get()
    assert receipt.total == Decimal("3478.04")  # the full price and VAT stay


@pytest.mark.parametrize("rate", ["4.00", "7.00", "0.50", "-3.00"])
def test_other_withholding_rates_are_refused(billing_note, rate):
    with pytest.raises(ValidationError) as refused:
        services.record_payment(
            billing_note,
            received_on=billing_note.issued_on,
            net_received=Decimal("3380.52"),
            withholding_rate=Decimal(rate),
        )
    assert "withholding_rate" in refused.value.message_dict
    assert not Payment.objects.exists()


@pytest.fixture
def withheld_payment(billing_note, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.record_payment(
            billing_note,
            received_on=billing_note.issued_on,
            net_received=Decimal("3380.52"),
            withholding_rate=Decimal("3.00"),
        )


def test_customer_uploads_the_certificate_and_only_owner_and_finance_download_it(
    client, alice, bob, finance, support_agent, staff_client, withheld_payment
):
    client.force_login(alice)
    receipt = withheld_payment.tax_invoices.get()
    page = client.get(reverse("billing:document-detail", args=[receipt.pk]))
    upload_url = reverse(
        "billing:payment-certificate-upload", args=[withheld_payment.pk]
    )
    assert upload_url in page.content.decode()
    response = client.post(
        upload_url,
        {"certificate_number": "50T-2569-0042", "certificate": certificate()},
    )
    assert response.status_code == 302
    withheld_payment.refresh_from_db()
    assert withheld_payment.certificate_number == "50T-2569-0042"
    assert withheld_payment.certificate_pdf == (
        f"billing/certificates/payment-{withheld_payment.pk}.pdf"
    )
    assert not Payment.objects.missing_certificate().exists()
    with storages["private"].open(withheld_payment.certificate_pdf, "rb") as stored:
        assert stored.read() == PDF

    download = reverse("billing:payment-certificate", args=[withheld_payment.pk])
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert staff_client(finance).get(download).status_code == 200
    assert staff_client(support_agent).get(download).status_code == 404
    client.force_login(bob)
    assert client.get(download).status_code == 404
    assert client.get(upload_url).status_code == 404
    client.logout()
    assert client.get(download).status_code == 302  # to sign-in


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a not a pdf", "PDF"),
        (b"%PDF-" + b"0" * (5 * 1024 * 1024), "5 MB"),
    ],
)
def test_a_certificate_that_is_not_a_small_pdf_is_refused_in_thai(
    client, alice, withheld_payment, content, message
):
    client.force_login(alice)
    response = client.post(
        reverse("billing:payment-certificate-upload", args=[withheld_payment.pk]),
        {"certificate_number": "42", "certificate": certificate(content, "x.pdf")},
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["certificate"]
    assert message in error
    assert "กรุณา" in error or "ไม่เกิน" in error
    withheld_payment.refresh_from_db()
    assert withheld_payment.certificate_pdf == ""
    assert withheld_payment.certificate_number == ""


def test_no_certificate_is_asked_for_a_payment_without_withholding(
    client, alice, tax_invoice
):
    client.force_login(alice)
    payment = tax_invoice.payment
    assert payment.withheld_amount == 0
    url = reverse("billing:payment-certificate-upload", args=[payment.pk])
    assert url not in client.get(tax_invoice.get_absolute_url()).content.decode()
    assert client.post(url, {"certificate_number": "1"}).status_code == 404


def test_finance_attaches_the_certificate_in_admin(
    staff_client, finance, withheld_payment
):
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_payment_change", args=[withheld_payment.pk]),
        {
            "certificate_number": "50T-0042",
            "certificate_received_on": "2026-11-25",
            "certificate": certificate(),
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    withheld_payment.refresh_from_db()
    assert withheld_payment.certificate_pdf
    change = client.get(
        reverse("admin:billing_payment_change", args=[withheld_payment.pk])
    )
    assert (
        reverse("billing:payment-certificate", args=[withheld_payment.pk])
        in change.content.decode()
    )


def test_recording_a_payment_with_its_certificate_in_admin(
    staff_client, finance, billing_note
):
    response = staff_client(finance).post(
        reverse("admin:billing_payment_add"),
        {
            "billing_note": billing_note.pk,
            "received_on": "2026-11-25",
            "net_received": "3445.53",
            "withholding_rate": "1.00",
            "certificate_number": "50T-1",
            "certificate": certificate(),
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    payment = Payment.objects.get()
    assert (payment.withheld_amount, payment.certificate_number) == (
        Decimal("32.51"),
        "50T-1",
    )
    assert payment.certificate_pdf
    assert payment.certificate_received_on == datetime.date(2026, 11, 25)
