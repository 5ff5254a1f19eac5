"""A month's e-Tax XML in one zip with a summary CSV, for submission through a service provider."""

import csv
import io
import zipfile
from collections.abc import Iterable

from billing.models import EtaxXml

SUMMARY = "summary.csv"
COLUMNS = (
    "number",
    "type_code",
    "issued_on",
    "status",
    "signed",
    "buyer_tax_id",
    "buyer_branch",
    "value_before_vat",
    "vat",
    "total",
    "file",
    "error",
)


def zip_bytes(records: Iterable[EtaxXml]) -> bytes:
    """Each valid XML as <number>.xml and summary.csv listing every record (failed ones too)."""
    buffer = io.BytesIO()
    summary = io.StringIO()
    writer = csv.writer(summary)
    writer.writerow(COLUMNS)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in sorted(records, key=lambda r: (r.issued_on, r.number)):
            document = record.document
            name = ""
            if record.is_embeddable:
                name = f"{record.number}.xml"
                archive.writestr(name, record.xml)
            writer.writerow(
                (
                    record.number,
                    record.type_code,
                    record.issued_on.isoformat(),
                    record.status,
                    "yes" if record.signed else "no",
                    document.buyer_tax_id,
                    document.buyer_branch,
                    document.subtotal,
                    document.vat_amount,
                    document.total,
                    name,
                    record.error,
                )
            )
        # UTF-8 with a byte-order mark, so spreadsheet programs read the Thai.
        archive.writestr(SUMMARY, "\ufeff" + summary.getvalue())
    return buffer.getvalue()


def month(year: int, month: int) -> bytes:
    return zip_bytes(EtaxXml.objects.issued_in(year, month).select_related("document"))
