"""Issuing, numbering, payments, notes and the immutability of issued documents."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from billing import services
from billing.models import (
    Document,
    DocumentLine,
    ImmutableDocumentError,
    NumberSeries,
    Payment,
    VatRate,
)
from tests.billing.conftest import HOSTING, lines
from tests.factories import BillingProfileFactory


def test_billing_note_is_numbered_and_frozen_at_issue(
    billing_note, alice_profile, settings
):
    assert billing_note.number == f"BN{timezone.localdate().year + 543}-000001"
    assert billing_note.status == Document.Status.ISSUED
    assert billing_note.vat_rate == Decimal("7.00")
    assert billing_note.subtotal == Decimal("3250.50")
    assert billing_note.vat_amount == Decimal("227.54")
    assert billing_note.total == Decimal("3478.04")
    assert billing_note.seller_tax_id == settings.BILLING_SELLER["tax_id"]
    assert billing_note.seller_branch == "00000"
    assert billing_note.buyer_name == alice_profile.legal_name
    assert billing_note.buyer_tax_id == alice_profile.tax_id
    assert billing_note.customer == alice_profile.customer


def test_each_kind_has_its_own_gapless_series_per_year(alice_profile):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, tzinfo=datetime.UTC)):
        first = services.create_billing_note(alice_profile, lines=HOSTING)
        second = services.create_billing_note(alice_profile, lines=HOSTING)
        payment = services.record_payment(
            first, received_on=datetime.date(2026, 12, 31), net_received=first.total
        )
    with time_machine.travel(datetime.datetime(2027, 1, 2, 10, tzinfo=datetime.UTC)):
        third = services.create_billing_note(alice_profile, lines=HOSTING)
    assert [first.number, second.number] == ["BN2569-000001", "BN2569-000002"]
    assert payment.tax_invoices.get().number == "RT2569-000001"
    assert third.number == "BN2570-000001"


def test_failed_issue_takes_no_number(alice_profile):
    with pytest.raises(ValidationError):
        services.create_billing_note(alice_profile, lines=[])
    with pytest.raises(ValidationError):
        services.create_billing_note(alice_profile, lines=lines(("x", "0", "10")))
    note = services.create_billing_note(alice_profile, lines=HOSTING)
    assert note.number.endswith("-000001")
    assert Document.objects.count() == 1


def test_vat_rate_in_force_on_the_issue_date_is_stored(alice_profile, vat_rate):
    vat_rate.valid_until = datetime.date(2027, 9, 30)
    vat_rate.save()
    VatRate.objects.create(rate=Decimal("10.00"), valid_from=datetime.date(2027, 10, 1))
    with time_machine.travel(datetime.datetime(2027, 9, 30, 10, tzinfo=datetime.UTC)):
        before = services.create_billing_note(
            alice_profile, lines=lines(("VPS", "1", "100"))
        )
    with time_machine.travel(datetime.datetime(2027, 10, 1, 10, tzinfo=datetime.UTC)):
        after = services.create_billing_note(
            alice_profile, lines=lines(("VPS", "1", "100"))
        )
    assert (before.vat_rate, before.total) == (Decimal("7.00"), Decimal("107.00"))
    assert (after.vat_rate, after.total) == (Decimal("10.00"), Decimal("110.00"))


def test_editing_the_profile_never_changes_an_issued_document(
    billing_note, alice_profile
):
    alice_profile.legal_name = "ชื่อใหม่ จำกัด"
    alice_profile.save()
    billing_note.refresh_from_db()
    assert billing_note.buyer_name == "บริษัท อลิซ คลาวด์ จำกัด"


def test_issued_document_cannot_be_edited_or_deleted_through_the_orm(billing_note):
    billing_note.buyer_name = "Someone else"
    with pytest.raises(ImmutableDocumentError):
        billing_note.save()
    with pytest.raises(ImmutableDocumentError):
        billing_note.delete()
    with pytest.raises(ImmutableDocumentError):
        Document.objects.filter(pk=billing_note.pk).delete()
    assert Document.objects.filter(
        pk=billing_note.pk, buyer_name="บริษัท อลิซ คลาวด์ จำกัด"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_database_refuses_changes_to_issued_documents(postgres, vat_rate):
    profile = BillingProfileFactory()
    note = services.create_billing_note(profile, lines=HOSTING)
    for statement in (
        "UPDATE billing_document SET total = 1, subtotal = 1, vat_amount = 0 WHERE id = %s",
        "UPDATE billing_document SET buyer_name = 'x' WHERE id = %s",
        "DELETE FROM billing_document WHERE id = %s",
        "UPDATE billing_documentline SET unit_price = 0 WHERE document_id = %s",
        "DELETE FROM billing_documentline WHERE document_id = %s",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [note.pk])
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO billing_documentline (document_id, position, description, quantity, unit_price)"
            " VALUES (%s, 9, 'extra', 1, 1)",
            [note.pk],
        )
    note.refresh_from_db()
    assert note.total == Decimal("3478.04")
    assert note.lines.count() == 2
    # The PDF name is the one late write allowed (once).
    assert note.pdf


def test_drafts_stay_editable_and_deletable(alice_profile):
    draft = Document.objects.create(
        profile=alice_profile, customer=alice_profile.customer
    )
    DocumentLine.objects.create(
        document=draft, description="x", quantity=1, unit_price=1
    )
    draft.save()
    draft.delete()
    assert not Document.objects.exists()


def test_issuing_a_draft_without_lines_is_refused(alice_profile):
    draft = Document.objects.create(
        profile=alice_profile, customer=alice_profile.customer
    )
    with pytest.raises(ValidationError):
        services.issue_document(draft)
    draft.refresh_from_db()
    assert draft.status == Document.Status.DRAFT
    assert draft.number is None
    assert not NumberSeries.objects.filter(last_number__gt=0).exists()


def test_payment_issues_the_receipt_tax_invoice(tax_invoice, billing_note):
    assert tax_invoice.kind == Document.Kind.TAX_INVOICE
    assert tax_invoice.billing_note == billing_note
    assert tax_invoice.total == billing_note.total
    assert [(line.description, line.amount) for line in tax_invoice.lines.all()] == [
        (line.description, line.amount) for line in billing_note.lines.all()
    ]


def test_withholding_records_net_amount_and_full_price_stays(billing_note):
    withheld = Decimal("97.52")  # 3 % of 3,250.50
    payment = services.record_payment(
        billing_note,
        received_on=datetime.date(2026, 11, 25),
        net_received=billing_note.total - withheld,
        withholding_rate=Decimal("3.00"),
    )
    assert payment.withheld_amount == withheld
    invoice = payment.tax_invoices.get()
    assert invoice.total == Decimal("3478.04")
    assert invoice.vat_amount == Decimal("227.54")
    assert list(Payment.objects.missing_certificate()) == [payment]
    services.record_certificate(
        payment,
        certificate_number="50T-2569-0042",
        received_on=datetime.date(2026, 12, 1),
    )
    assert not Payment.objects.missing_certificate().exists()


@pytest.mark.parametrize(
    ("net", "rate"),
    [
        ("3000.00", "0.00"),
        ("3380.51", "3.00"),
        ("3478.04", "-1.00"),
        ("3478.04", "3.00"),
        ("3380.52", "4.00"),
        ("3380.52", "7.00"),
    ],
)
def test_payment_that_does_not_settle_the_bill_is_refused(billing_note, net, rate):
    with pytest.raises(ValidationError):
        services.record_payment(
            billing_note,
            received_on=datetime.date(2026, 11, 25),
            net_received=Decimal(net),
            withholding_rate=Decimal(rate),
        )
    assert not Document.objects.tax_invoices().exists()
    assert not NumberSeries.objects.filter(
        kind=Document.Kind.TAX_INVOICE, last_number__gt=0
    ).exists()


def test_billing_note_is_paid_once(tax_invoice, billing_note):
    with pytest.raises(ValidationError):
        services.record_payment(
            billing_note,
            received_on=datetime.date(2026, 11, 25),
            net_received=billing_note.total,
        )
    assert Document.objects.tax_invoices().count() == 1


def test_credit_note_cites_original_invoice(tax_invoice):
    note = services.issue_adjustment(
        tax_invoice,
        kind=Document.Kind.CREDIT_NOTE,
        corrected_value=Decimal("3000.00"),
        reason_code=Document.Reason.CDNS03,
    )
    assert note.number.startswith("CN")
    assert note.original == tax_invoice
    assert (note.original_value, note.corrected_value, note.difference) == (
        Decimal("3250.50"),
        Decimal("3000.00"),
        Decimal("250.50"),
    )
    assert (note.vat_amount, note.total, note.vat_rate) == (
        Decimal("17.54"),
        Decimal("268.04"),
        Decimal("7.00"),
    )
    assert note.buyer_tax_id == tax_invoice.buyer_tax_id


def test_credit_never_exceeds_what_remains(tax_invoice):
    services.issue_adjustment(
        tax_invoice,
        kind=Document.Kind.CREDIT_NOTE,
        corrected_value=Decimal("250.50"),
        reason_code=Document.Reason.CDNS04,
    )
    assert services.current_value(tax_invoice) == Decimal("250.50")
    with pytest.raises(ValidationError):
        services.issue_adjustment(
            tax_invoice,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=Decimal("-0.01"),
            reason_code=Document.Reason.CDNS04,
        )
    second = services.issue_adjustment(
        tax_invoice,
        kind=Document.Kind.CREDIT_NOTE,
        corrected_value=Decimal("0"),
        reason_code=Document.Reason.CDNS04,
    )
    assert second.original_value == Decimal("3250.50")  # on the original invoice
    assert second.previous_value == Decimal("250.50")  # before this note
    assert second.difference == Decimal("250.50")
    with pytest.raises(ValidationError):
        services.issue_adjustment(
            tax_invoice,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=Decimal("0"),
            reason_code=Document.Reason.CDNS04,
        )
    assert Document.objects.filter(kind=Document.Kind.CREDIT_NOTE).count() == 2


def test_debit_note_raises_the_value_with_its_own_reasons(tax_invoice):
    with pytest.raises(ValidationError):
        services.issue_adjustment(
            tax_invoice,
            kind=Document.Kind.DEBIT_NOTE,
            corrected_value=Decimal("4000"),
            reason_code=Document.Reason.CDNS01,
        )
    with pytest.raises(ValidationError):
        services.issue_adjustment(
            tax_invoice,
            kind=Document.Kind.DEBIT_NOTE,
            corrected_value=Decimal("4000"),
            reason_code=Document.Reason.DBNS99,
        )
    note = services.issue_adjustment(
        tax_invoice,
        kind=Document.Kind.DEBIT_NOTE,
        corrected_value=Decimal("4000.00"),
        reason_code=Document.Reason.DBNS99,
        reason_text="ค่าบริการเพิ่มเติม",
    )
    assert note.number.startswith("DN")
    assert note.difference == Decimal("749.50")
    assert services.current_value(tax_invoice) == Decimal("4000.00")


def test_cancelled_tax_invoice_stays_in_the_series_and_is_replaced(tax_invoice, alice):
    corrected = BillingProfileFactory(
        customer=alice, is_default=False, legal_name="บริษัท อลิซ (ประเทศไทย) จำกัด"
    )
    replacement = services.replace_tax_invoice(
        tax_invoice, profile=corrected, reason="ชื่อผู้ซื้อผิด"
    )
    tax_invoice.refresh_from_db()
    assert tax_invoice.is_cancelled
    assert tax_invoice.number.endswith("-000001")
    assert replacement.replaces == tax_invoice
    assert replacement.number.endswith("-000002")
    assert replacement.buyer_name == "บริษัท อลิซ (ประเทศไทย) จำกัด"
    assert replacement.total == tax_invoice.total
    assert list(
        Document.objects.tax_invoices()
        .values_list("number", flat=True)
        .order_by("number")
    ) == [
        tax_invoice.number,
        replacement.number,
    ]
    with pytest.raises(ValidationError):
        services.replace_tax_invoice(tax_invoice, profile=corrected, reason="again")
    with pytest.raises(ValidationError):
        services.issue_adjustment(
            tax_invoice,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=Decimal(0),
            reason_code=Document.Reason.CDNS04,
        )


def test_one_default_profile_per_customer(alice):
    first = services.save_profile(
        BillingProfileFactory.build(customer=alice, is_default=False)
    )
    second = services.save_profile(
        BillingProfileFactory.build(customer=alice, is_default=True)
    )
    first.refresh_from_db()
    assert second.is_default
    assert not first.is_default
    services.set_default_profile(first)
    second.refresh_from_db()
    assert first.is_default
    assert not second.is_default


def test_issuing_takes_the_number_in_the_last_statement(
    alice_profile, django_assert_num_queries
):
    """The rate, the row with its lines, then the number: the counter is locked last."""
    services.create_billing_note(alice_profile, lines=HOSTING)  # creates the series row
    postgresql = connection.vendor == "postgresql"
    # + the SAVEPOINT/RELEASE of the test's transaction. PostgreSQL writes the row and
    # lines in one statement and sends the series lock with the number in one; SQLite
    # takes two for each.
    with django_assert_num_queries(5 if postgresql else 7) as captured:
        note = services.create_billing_note(alice_profile, lines=HOSTING)
    statements = [query["sql"] for query in captured.captured_queries]
    numbering = [i for i, sql in enumerate(statements) if "billing_numberseries" in sql]
    assert numbering == [len(statements) - 2 if postgresql else len(statements) - 3]
    if postgresql:
        assert "pg_advisory_xact_lock" in statements[-2]
    assert note.number.endswith("-000002")
    note.refresh_from_db()
    assert note.status == Document.Status.ISSUED
    assert note.lines.count() == 2


@pytest.mark.django_db(transaction=True)
def test_database_allows_one_cancelled_rendering_of_a_cancelled_document(
    postgres, vat_rate
):
    note = services.create_billing_note(BillingProfileFactory(), lines=HOSTING)
    note.refresh_from_db()
    assert note.pdf  # rendered after commit

    def refused(statement: str) -> None:
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [note.pk])

    def allowed(statement: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, [note.pk])

    refused("UPDATE billing_document SET cancelled_pdf = 'c.pdf' WHERE id = %s")
    allowed(
        "UPDATE billing_document SET cancelled_at = now(), "
        "cancellation_reason = 'ชื่อผิด' WHERE id = %s"
    )
    allowed("UPDATE billing_document SET cancelled_pdf = 'c.pdf' WHERE id = %s")
    refused("UPDATE billing_document SET cancelled_pdf = 'd.pdf' WHERE id = %s")
    refused("UPDATE billing_document SET cancelled_pdf = '' WHERE id = %s")
    refused("UPDATE billing_document SET pdf = 'other.pdf' WHERE id = %s")
    refused("UPDATE billing_document SET reason_label = 'x' WHERE id = %s")
    note.refresh_from_db()
    assert note.cancelled_pdf == "c.pdf"
