"""Finance in admin: drafts, issuing, payments, certificates, notes; issued documents read-only."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import numbering, services
from billing.models import Document, NumberSeries, Payment
from tests.billing.conftest import HOSTING


def draft_post(profile, lines):
    data = {
        "profile": profile.pk,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, (description, quantity, price) in enumerate(lines):
        data[f"lines-{index}-description"] = description
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_price"] = price
    return data


def test_finance_drafts_and_issues_a_bill(
    staff_client, finance, alice_profile, django_capture_on_commit_callbacks
):
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_document_add"),
        draft_post(alice_profile, [("VPS", "1", "500.00"), ("IP", "2", "50")]),
    )
    assert response.status_code == 302
    draft = Document.objects.get()
    assert draft.status == Document.Status.DRAFT
    assert draft.number is None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:billing_document_changelist"),
            {"action": "issue_selected", "_selected_action": [draft.pk]},
        )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Document.Status.ISSUED
    assert draft.total == Decimal("642.00")
    assert draft.pdf
    # The message names the number it issued (it once said "เลขที่ None").
    listing = client.get(response.url).content.decode()
    assert f"ออกเอกสารเลขที่ {draft.number} แล้ว" in listing
    assert "None" not in listing


def test_finance_lists_date_in_the_buddhist_era(
    staff_client, finance, tax_invoice, billing_note
):
    client = staff_client(finance)
    documents = client.get(reverse("admin:billing_document_changelist"))
    assert "25 พ.ย. 2569" in documents.content.decode()
    assert "2026" not in documents.content.decode().split("<tbody>")[1]
    payments = client.get(reverse("admin:billing_payment_changelist"))
    assert "25 พ.ย. 2569" in payments.content.decode()
    # Ordering by the date column still works.
    ordered = client.get(reverse("admin:billing_document_changelist") + "?o=6")
    assert ordered.status_code == 200
    change = client.get(
        reverse("admin:billing_document_change", args=[tax_invoice.pk])
    ).content.decode()
    assert "25 พ.ย. 2569" in change
    payment = client.get(
        reverse("admin:billing_payment_change", args=[tax_invoice.payment_id])
    ).content.decode()
    assert "25 พ.ย. 2569" in payment


@pytest.mark.parametrize(
    "line",
    [
        ("VPS", "0", "10"),
        ("VPS", "-1", "10"),
        ("VPS", "1", "-5"),
        ("VPS", "1", "10.005"),
        ("VPS", "1.001", "10"),
    ],
)
def test_bad_lines_are_form_errors(staff_client, finance, alice_profile, line):
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_document_add"), draft_post(alice_profile, [line])
    )
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]
    assert not Document.objects.exists()


def test_issuing_an_empty_draft_is_refused(staff_client, finance, alice_profile):
    draft = Document.objects.create(
        profile=alice_profile, customer=alice_profile.customer
    )
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_document_changelist"),
        {"action": "issue_selected", "_selected_action": [draft.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.status == Document.Status.DRAFT
    assert not NumberSeries.objects.filter(last_number__gt=0).exists()
    assert any(
        "line" in str(message) or "รายการ" in str(message)
        for message in response.context["messages"]
    )


def test_issued_document_is_read_only_and_undeletable_in_admin(
    staff_client, finance, billing_note
):
    client = staff_client(finance)
    change = client.get(
        reverse("admin:billing_document_change", args=[billing_note.pk])
    )
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    post = client.post(
        reverse("admin:billing_document_change", args=[billing_note.pk]),
        {"profile": ""},
    )
    assert post.status_code == 403
    delete = client.post(
        reverse("admin:billing_document_delete", args=[billing_note.pk]),
        {"post": "yes"},
    )
    assert delete.status_code == 403
    assert Document.objects.filter(pk=billing_note.pk).exists()


def test_finance_records_a_payment_with_withholding(
    staff_client, finance, billing_note
):
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_payment_add"),
        {
            "billing_note": billing_note.pk,
            "received_on": "2026-11-25",
            "net_received": "3380.52",
            "withholding_rate": "3.00",
            "certificate_number": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    payment = Payment.objects.get()
    receipt = payment.tax_invoices.get()
    assert receipt.total == Decimal("3478.04")
    assert (
        f"ออกเอกสารเลขที่ {receipt.number} แล้ว"
        in client.get(response.url).content.decode()
    )
    missing = client.get(
        reverse("admin:billing_payment_changelist") + "?certificate=missing"
    )
    assert billing_note.number in missing.content.decode()


def test_payment_not_settling_the_bill_is_a_form_error(
    staff_client, finance, billing_note
):
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_payment_add"),
        {
            "billing_note": billing_note.pk,
            "received_on": "2026-11-25",
            "net_received": "100.00",
            "withholding_rate": "0.00",
        },
    )
    assert response.status_code == 200
    assert "net_received" in response.context["adminform"].form.errors
    assert not Payment.objects.exists()
    assert not Document.objects.tax_invoices().exists()


def test_credit_note_over_the_remaining_value_is_a_form_error(
    staff_client, finance, tax_invoice
):
    client = staff_client(finance)
    url = reverse("admin:billing_document_adjust", args=[tax_invoice.pk, "credit_note"])
    response = client.post(url, {"corrected_value": "-1.00", "reason_code": "CDNS04"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Document.objects.filter(kind=Document.Kind.CREDIT_NOTE).exists()
    response = client.post(url, {"corrected_value": "3500.00", "reason_code": "CDNS04"})
    assert response.status_code == 200
    assert not Document.objects.filter(kind=Document.Kind.CREDIT_NOTE).exists()
    response = client.post(url, {"corrected_value": "3000.00", "reason_code": "CDNS04"})
    assert response.status_code == 302
    assert Document.objects.get(kind=Document.Kind.CREDIT_NOTE).original == tax_invoice


def test_finance_cancels_and_replaces_a_tax_invoice(
    staff_client, finance, tax_invoice, alice_profile
):
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_document_replace", args=[tax_invoice.pk]),
        {"profile": alice_profile.pk, "reason": "ที่อยู่ผู้ซื้อผิด"},
    )
    assert response.status_code == 302
    tax_invoice.refresh_from_db()
    assert tax_invoice.is_cancelled
    assert tax_invoice.replaced_by.number != tax_invoice.number


def test_staff_without_billing_permissions_see_nothing(
    staff_client, support_agent, billing_note
):
    client = staff_client(support_agent)
    assert client.get(reverse("admin:billing_document_changelist")).status_code == 403
    assert (
        client.get(
            reverse("admin:billing_document_change", args=[billing_note.pk])
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:billing_payment_changelist")).status_code == 403


def test_finance_group_has_billing_permissions_from_the_migration(finance):
    assert finance.has_perm("billing.view_document")
    assert finance.has_perm("billing.issue_document")
    assert finance.has_perm("billing.add_payment")
    assert not finance.has_perm("billing.delete_payment")


def test_missing_certificates_list_shows_only_payments_still_waiting(
    staff_client, finance, billing_note
):
    from billing import services

    payment = services.record_payment(
        billing_note,
        received_on=datetime.date(2026, 11, 25),
        net_received=Decimal("3380.52"),
        withholding_rate=Decimal("3.00"),
    )
    client = staff_client(finance)
    url = reverse("admin:billing_payment_changelist") + "?certificate=missing"
    assert billing_note.number in client.get(url).content.decode()
    services.record_certificate(
        payment, certificate_number="0042", received_on=datetime.date(2026, 12, 1)
    )
    assert billing_note.number not in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_finance_keeps_its_permissions_after_a_flush(finance):
    # post_migrate (also sent by the flush between transactional tests) re-grants them.
    assert finance.has_perm("billing.issue_document")


def test_finance_records_the_certificate_later_in_admin(
    staff_client, finance, billing_note
):
    from billing import services

    payment = services.record_payment(
        billing_note,
        received_on=datetime.date(2026, 11, 25),
        net_received=Decimal("3380.52"),
        withholding_rate=Decimal("3.00"),
    )
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_payment_change", args=[payment.pk]),
        {
            "certificate_number": "50T-0042",
            "certificate_received_on": "2026-12-01",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.certificate_number == "50T-0042"
    assert payment.net_received == Decimal("3380.52")
    assert not Payment.objects.missing_certificate().exists()


def test_a_note_frozen_for_issue_cannot_be_edited_or_deleted_while_it_waits_for_its_number(
    staff_client, finance, alice_profile
):
    """Between an issuer's two statements (billing.numbering) the note is no draft to edit."""
    note = Document(
        kind=Document.Kind.BILLING_NOTE,
        customer_id=alice_profile.customer_id,
        profile=alice_profile,
    )
    lines = services._prepare(note, HOSTING, issued_on=timezone.localdate(), rate=None)
    numbering.insert_pending(note, lines)
    assert numbering.is_pending(note)
    client = staff_client(finance)
    change = reverse("admin:billing_document_change", args=[note.pk])
    page = client.get(change).content.decode()
    assert 'name="profile"' not in page  # shown, not a form field
    assert client.post(change, {"profile": alice_profile.pk}).status_code == 403
    delete = reverse("admin:billing_document_delete", args=[note.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    note.refresh_from_db()
    assert numbering.is_pending(note)
