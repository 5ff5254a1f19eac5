"""Backfill: manage.py etax_generate --missing / --failed and the admin action, idempotent.

Documents issued before e-Tax was switched on have no XML; a failed XML is made again once
its cause is fixed. Valid XML is never touched, and running it twice makes nothing more.
"""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing import services
from billing.models import EtaxXml
from tests.billing.conftest import HOSTING
from tests.billing.test_etax_signature import make_p12
from tests.billing.test_etax_xml import etda_validate


def run(*flags: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("etax_generate", *flags, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def issue_note(profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.create_billing_note(profile, lines=HOSTING)
    note.refresh_from_db()
    return note


def test_missing_xml_is_made_once(etda, tax_invoice, tmp_path):
    note = tax_invoice.billing_note
    # Issued before e-Tax was switched on: no XML.
    EtaxXml.objects.all().delete()
    output = run("--missing")
    assert "e-Tax XML made: 2; failed: 0." in output
    assert note.number in output
    assert tax_invoice.number in output
    records = {r.document_id: r for r in EtaxXml.objects.all()}
    assert set(records) == {note.pk, tax_invoice.pk}
    assert records[tax_invoice.pk].type_code == "T03"
    assert records[tax_invoice.pk].status == EtaxXml.Status.VALID
    etda_validate(etda, tmp_path, records[tax_invoice.pk].xml)
    # Again: nothing more, nothing changed.
    assert "e-Tax XML made: 0; failed: 0." in run("--missing", "--failed")
    again = {r.document_id: r for r in EtaxXml.objects.all()}
    assert {k: (r.pk, r.xml) for k, r in again.items()} == {
        k: (r.pk, r.xml) for k, r in records.items()
    }


def test_a_cancelled_tax_invoice_without_its_t07_gets_it(
    etda, alice, tax_invoice, django_capture_on_commit_callbacks
):
    from tests.factories import BillingProfileFactory

    corrected = BillingProfileFactory(customer=alice, is_default=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.replace_tax_invoice(
            tax_invoice, profile=corrected, reason="ชื่อผู้ซื้อไม่ถูกต้อง"
        )
    EtaxXml.objects.filter(type_code="T07").delete()
    kept = EtaxXml.objects.get(document=tax_invoice, type_code="T03")
    output = run("--missing")
    assert "e-Tax XML made: 1; failed: 0." in output
    t07 = EtaxXml.objects.get(document=tax_invoice, type_code="T07")
    assert t07.status == EtaxXml.Status.VALID
    assert t07.number == f"{tax_invoice.number}-T07"
    assert EtaxXml.objects.get(pk=kept.pk).xml == kept.xml


def test_failed_xml_is_made_again_in_its_place_once_the_cause_is_fixed(
    etda,
    settings,
    tmp_path,
    alice_profile,
    finance,
    django_capture_on_commit_callbacks,
):
    settings.ETAX_CERT_FILE = str(tmp_path / "not-yet.p12")
    note = issue_note(alice_profile, django_capture_on_commit_callbacks)
    failed = EtaxXml.objects.get(document=note)
    assert failed.is_failed
    EtaxXml.objects.filter(pk=failed.pk).update(email_message_id="<m@onespace.test>")
    # --missing alone leaves failed XML alone.
    assert "e-Tax XML made: 0; failed: 0." in run("--missing")
    # Still broken: it fails again, with the reason, and finance is not emailed twice.
    mail.outbox.clear()
    output = run("--failed")
    assert "e-Tax XML made: 0; failed: 1." in output
    assert "Cannot read the certificate" in output
    assert mail.outbox == []
    # The certificate is installed: the same row becomes valid and signed.
    certificate = make_p12(tmp_path / "not-yet.p12")
    settings.ETAX_CERT_PASSWORD = "s3cret"
    assert "e-Tax XML made: 1; failed: 0." in run("--failed")
    record = EtaxXml.objects.get(document=note)
    assert record.pk == failed.pk
    assert record.status == EtaxXml.Status.VALID
    assert record.signed
    assert record.error == ""
    assert record.email_message_id == "<m@onespace.test>"
    from billing.etax import signature

    signature.verify(record.xml.encode(), certificate)
    assert "e-Tax XML made: 0; failed: 0." in run("--failed")
    assert EtaxXml.objects.filter(document=note).count() == 1


def test_xml_made_before_etdas_schemas_were_installed_is_checked_again(
    etda, settings, tmp_path, alice_profile, django_capture_on_commit_callbacks
):
    installed = settings.ETAX_SCHEMA_DIR
    settings.ETAX_SCHEMA_DIR = tmp_path  # not installed yet
    note = issue_note(alice_profile, django_capture_on_commit_callbacks)
    record = EtaxXml.objects.get(document=note)
    assert record.status == EtaxXml.Status.UNCHECKED
    settings.ETAX_SCHEMA_DIR = installed
    assert "e-Tax XML made: 0; failed: 0." in run("--missing", "--failed")
    assert "e-Tax XML made: 1; failed: 0." in run("--unchecked")
    record = EtaxXml.objects.get(document=note)
    assert record.status == EtaxXml.Status.VALID
    etda_validate(etda, tmp_path, record.xml)
    assert "e-Tax XML made: 0; failed: 0." in run("--unchecked")


def test_the_command_wants_a_choice():
    with pytest.raises(CommandError, match="--missing, --failed, --unchecked"):
        run()


def test_admin_action_regenerates_the_selected_documents(
    etda, finance, staff_client, tax_invoice
):
    note = tax_invoice.billing_note
    EtaxXml.objects.filter(document=note).delete()  # issued before e-Tax
    EtaxXml.objects.filter(document=tax_invoice).update(
        status=EtaxXml.Status.FAILED, error="old", xml=""
    )
    client = staff_client(finance)
    response = client.post(
        reverse("admin:billing_document_changelist"),
        {
            "action": "regenerate_etax",
            "_selected_action": [str(note.pk), str(tax_invoice.pk)],
        },
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "สร้าง XML e-Tax แล้ว 2 ฉบับ ไม่สำเร็จ 0 ฉบับ" in text
    assert EtaxXml.objects.get(document=note).status == EtaxXml.Status.VALID
    assert EtaxXml.objects.get(document=tax_invoice).status == EtaxXml.Status.VALID
    # Again: nothing to make.
    response = client.post(
        reverse("admin:billing_document_changelist"),
        {"action": "regenerate_etax", "_selected_action": [str(note.pk)]},
        follow=True,
    )
    assert "สร้าง XML e-Tax แล้ว 0 ฉบับ" in response.content.decode()


def test_a_customer_cannot_reach_the_action(client, alice, tax_invoice):
    client.force_login(alice)
    response = client.post(
        reverse("admin:billing_document_changelist"),
        {"action": "regenerate_etax", "_selected_action": [str(tax_invoice.pk)]},
    )
    assert response.status_code == 302  # to the admin login
    assert "/login/" in response["Location"]


def test_a_document_not_rendered_yet_is_left_to_its_render_task(
    etda, alice_profile, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = services.create_billing_note(alice_profile, lines=HOSTING)
    assert "e-Tax XML made: 0; failed: 0." in run("--missing")
    assert not EtaxXml.objects.filter(document=note).exists()
    for callback in callbacks:  # the render task runs
        callback()
    assert EtaxXml.objects.get(document=note).status == EtaxXml.Status.VALID


def test_xml_made_meanwhile_by_another_process_is_kept_not_a_crash(etda, tax_invoice):
    from billing.etax import builder, generation

    existing = EtaxXml.objects.get(document=tax_invoice)
    # The render task and a backfill both found no XML and both build one.
    record = generation._make(
        tax_invoice,
        code="T03",
        number=tax_invoice.number,
        issued_on=tax_invoice.issued_on,
        build=lambda: builder.build(tax_invoice),
    )
    assert record.pk == existing.pk
    assert EtaxXml.objects.filter(document=tax_invoice).count() == 1
