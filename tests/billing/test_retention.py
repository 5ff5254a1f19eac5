"""Tax documents are kept 5 years from the end of the accounting period (s.87/3), then purged.

The purge runs in the database on PostgreSQL, by the database's clock, so the documents
are issued at dates counted back from today rather than with a frozen clock.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.storage import storages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from billing import retention, services
from billing.models import Document, Payment
from policy.registry import registry
from tests.billing.conftest import HOSTING

pytestmark = pytest.mark.django_db

BANGKOK = datetime.timezone(datetime.timedelta(hours=7))


@pytest.mark.parametrize(
    ("fiscal_year_end", "issued_on", "kept_until"),
    [
        ("12-31", datetime.date(2020, 1, 10), datetime.date(2025, 12, 31)),
        ("12-31", datetime.date(2020, 12, 31), datetime.date(2025, 12, 31)),
        ("12-31", datetime.date(2024, 2, 29), datetime.date(2029, 12, 31)),
        ("09-30", datetime.date(2020, 9, 30), datetime.date(2025, 9, 30)),
        ("09-30", datetime.date(2020, 10, 1), datetime.date(2026, 9, 30)),
        ("03-31", datetime.date(2021, 1, 15), datetime.date(2026, 3, 31)),
    ],
)
def test_kept_five_years_from_the_end_of_the_accounting_period(
    settings, fiscal_year_end, issued_on, kept_until
):
    settings.BILLING_FISCAL_YEAR_END = fiscal_year_end
    assert retention.retained_until(issued_on) == kept_until
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT billing_retained_until(%s, %s)", [issued_on, fiscal_year_end]
            )
            assert cursor.fetchone()[0] == kept_until


def _issue(profile, on: datetime.date) -> Document:
    """A billing note paid the same day: the note and its receipt/tax invoice."""
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(10), BANGKOK)):
        note = services.create_billing_note(profile, lines=HOSTING)
        services.record_payment(note, received_on=on, net_received=note.total)
    return note


@pytest.mark.django_db(transaction=True)
def test_purge_removes_a_document_only_after_its_period_plus_five_years(
    alice_profile, vat_rate
):
    today = timezone.localdate()
    # Ended: the period of 31 December six years ago closed five years and a year ago.
    expired = _issue(alice_profile, datetime.date(today.year - 6, 12, 31))
    # More than five years since issue, but its period ends on 31 December five years
    # ago: kept until the end of this year (never counted from the issue date).
    kept = _issue(alice_profile, datetime.date(today.year - 5, 1, 2))
    recent = services.create_billing_note(alice_profile, lines=HOSTING)
    storage = storages["private"]
    expired.refresh_from_db()
    pdf = expired.pdf  # rendered when the note was issued
    assert storage.exists(pdf)

    category = registry["billing-document"]
    # The note, its receipt/tax invoice, their lines and the payment go together.
    assert category.purge_expired(timezone.now()) == 2
    left = set(Document.objects.values_list("billing_note_id", flat=True))
    assert expired.pk not in left
    assert not Document.objects.filter(pk=expired.pk).exists()
    assert not Payment.objects.filter(billing_note_id=expired.pk).exists()
    assert Document.objects.filter(pk=kept.pk).exists()
    assert Document.objects.filter(billing_note=kept).exists()
    assert Document.objects.filter(pk=recent.pk).exists()
    assert not storage.exists(pdf)
    assert category.purge_expired(timezone.now()) == 0


@pytest.mark.django_db(transaction=True)
def test_a_document_still_cited_by_a_kept_one_stays(alice_profile, vat_rate):
    today = timezone.localdate()
    note = _issue(alice_profile, datetime.date(today.year - 6, 12, 31))
    invoice = Document.objects.get(billing_note=note)
    # A credit note of the next period cites the invoice; it is kept a year longer.
    with time_machine.travel(
        datetime.datetime(today.year - 5, 1, 5, 10, tzinfo=BANGKOK)
    ):
        credit = services.issue_adjustment(
            invoice,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=invoice.subtotal - Decimal("100.00"),
            reason_code="CDNS01",
        )
    assert registry["billing-document"].purge_expired(timezone.now()) == 0
    assert set(Document.objects.values_list("pk", flat=True)) == {
        note.pk,
        invoice.pk,
        credit.pk,
    }


@pytest.mark.parametrize("language", ["th", "en"])
def test_privacy_page_says_five_years_from_the_end_of_the_period(
    client, settings, language
):
    settings.BILLING_FISCAL_YEAR_END = "09-30"
    page = client.get(reverse("policy:notice"), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    # /privacy/ shows the table as the version in force published it (policy.snapshot);
    # the configured period end is in the live registry, which the next version freezes.
    from django.utils import translation

    from policy import snapshot

    with translation.override(language):
        live = next(c for c in snapshot.take() if c["key"] == "billing-document")
    reason = live["retention_reason"][language] + live["retention_display"][language]
    if language == "th":
        assert "5 ปีนับจากสิ้นรอบระยะเวลาบัญชี" in text
        assert "30 กันยายน" in reason
    else:
        assert "5 years after the end of the accounting period" in text
        assert "30 September" in reason


@pytest.mark.django_db(transaction=True)
def test_purge_deletes_the_cancelled_rendering_and_the_certificate_too(
    alice, alice_profile, vat_rate
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import BillingProfileFactory

    on = datetime.date(timezone.localdate().year - 6, 12, 30)
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(10), BANGKOK)):
        note = services.create_billing_note(alice_profile, lines=HOSTING)
        payment = services.record_payment(
            note,
            received_on=on,
            net_received=note.total - Decimal("97.52"),
            withholding_rate=Decimal("3.00"),
        )
        services.record_certificate(
            payment,
            certificate_number="50T-1",
            received_on=on,
            certificate=SimpleUploadedFile(
                "50tawi.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf"
            ),
        )
        receipt = Document.objects.get(
            billing_note=note, kind=Document.Kind.TAX_INVOICE
        )
        services.replace_tax_invoice(
            receipt,
            profile=BillingProfileFactory(customer=alice, is_default=False),
            reason="wrong buyer name",
        )
    receipt.refresh_from_db()
    payment.refresh_from_db()
    files = [receipt.pdf, receipt.cancelled_pdf, payment.certificate_pdf]
    storage = storages["private"]
    assert all(name and storage.exists(name) for name in files)

    registry["billing-document"].purge_expired(timezone.now())

    assert not Document.objects.filter(customer=alice).exists()
    assert [name for name in files if storage.exists(name)] == []


@pytest.mark.django_db(transaction=True)
def test_a_legal_hold_keeps_an_expired_document_in_both_purges(
    alice_profile, vat_rate, privacy_officer
):
    """Python and, on PostgreSQL, the owner's billing_purge_expired() ask the hold."""
    from policy import services as policy_services

    today = timezone.localdate()
    held = _issue(alice_profile, datetime.date(today.year - 6, 12, 31))
    policy_services.place_hold(
        privacy_officer,
        customer=alice_profile.customer,
        category="billing-document",
        reason="Preservation order",
        order_reference="ศาลอาญา คำสั่งที่ 9/2569",
        ends_on=today + datetime.timedelta(days=30),
    )
    counts = policy_services.purge_expired()
    assert counts["billing-document"] == 0
    assert counts["held:billing-document"] >= 1
    assert Document.objects.filter(pk=held.pk).exists()
    assert Payment.objects.filter(billing_note_id=held.pk).exists()
