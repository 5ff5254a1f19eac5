"""The monthly e-Tax export: manage.py etax_export YYYY-MM and the admin action, a zip of XML + CSV."""

import csv
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing.models import EtaxXml


def read_zip(data: bytes) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    summary = files.pop("summary.csv").decode("utf-8-sig")
    return files, list(csv.DictReader(io.StringIO(summary)))


def test_command_bundles_the_months_xml_and_a_summary(etda, tax_invoice, tmp_path):
    note = tax_invoice.billing_note
    target = tmp_path / "nov.zip"
    call_command("etax_export", "2026-11", output=str(target))
    files, rows = read_zip(target.read_bytes())
    assert set(files) == {f"{note.number}.xml", f"{tax_invoice.number}.xml"}
    assert files[f"{tax_invoice.number}.xml"] == (
        EtaxXml.objects.get(document=tax_invoice).xml.encode()
    )
    by_number = {row["number"]: row for row in rows}
    assert by_number[tax_invoice.number]["type_code"] == "T03"
    assert by_number[tax_invoice.number]["total"] == "3478.04"
    assert by_number[tax_invoice.number]["status"] == "valid"
    assert by_number[note.number]["type_code"] == "380"


def test_another_month_is_empty_and_a_bad_month_is_refused(etda, tax_invoice, tmp_path):
    target = tmp_path / "dec.zip"
    call_command("etax_export", "2026-12", output=str(target))
    files, rows = read_zip(target.read_bytes())
    assert files == {}
    assert rows == []
    for bad in ("2026-13", "11-2026", "2569-11-01"):
        with pytest.raises(CommandError):
            call_command("etax_export", bad, output=str(target))


def test_a_failed_xml_is_listed_with_its_reason_but_not_exported(
    etda, tax_invoice, tmp_path
):
    EtaxXml.objects.filter(document=tax_invoice).update(
        status=EtaxXml.Status.FAILED, error="The certificate expired on 2026-10-31."
    )
    target = tmp_path / "nov.zip"
    call_command("etax_export", "2026-11", output=str(target))
    files, rows = read_zip(target.read_bytes())
    assert f"{tax_invoice.number}.xml" not in files
    row = next(row for row in rows if row["number"] == tax_invoice.number)
    assert row["error"] == "The certificate expired on 2026-10-31."
    assert row["file"] == ""


def test_admin_action_exports_the_selected_xml(
    etda, finance, staff_client, tax_invoice
):
    records = EtaxXml.objects.order_by("pk")
    response = staff_client(finance).post(
        reverse("admin:billing_etaxxml_changelist"),
        {
            "action": "export_selected",
            "_selected_action": [str(record.pk) for record in records],
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    files, rows = read_zip(response.content)
    assert len(files) == len(rows) == records.count() == 2
