"""Tax documents as PDF: WeasyPrint, A4, the Sarabun font shipped with fontpkg-sarabun."""

from collections.abc import Sequence

from django.template.loader import render_to_string
from weasyprint import Attachment

from billing.etax import promptpay
from billing.models import Document, DocumentLine, EtaxXml
from onespace.pdf import FONTS, html_to_pdf

# ETDA e-Tax: the PDF is PDF/A-3b and carries the document's XML as an associated file.
PDF_VARIANT = "pdf/a-3b"

ORIGINAL_AND_COPY = (False, True)


def document_html(
    document: Document,
    *,
    is_copy: bool = False,
    lines: Sequence[DocumentLine] | None = None,
    show_cancellation: bool | None = None,
) -> str:
    """HTML of one copy of the document: the original (ต้นฉบับ) or a copy (สำเนา)."""
    if lines is None:
        lines = list(document.lines.all())
    if show_cancellation is None:
        show_cancellation = document.is_cancelled
    return render_to_string(
        "billing/pdf/document.html",
        {
            "document": document,
            "lines": lines,
            "is_copy": is_copy,
            "show_cancellation": show_cancellation,
            "fonts": FONTS,
            "promptpay_qr": promptpay.qr_for_document(document),
        },
    )


def render_pdf(
    document: Document,
    *,
    copies: tuple[bool, ...] = ORIGINAL_AND_COPY,
    lines: Sequence[DocumentLine] | None = None,
    show_cancellation: bool | None = None,
) -> bytes:
    """The PDF of an issued document: the original, then by default a copy.

    Each copy is laid out on its own, so its pages count หน้า 1/n from its first page.
    """
    if lines is None:
        lines = list(document.lines.all())
    return html_to_pdf(
        [
            document_html(
                document,
                is_copy=is_copy,
                lines=lines,
                show_cancellation=show_cancellation,
            )
            for is_copy in copies
        ],
        font_css=False,
        pdf_variant=PDF_VARIANT,
        attachments=etax_attachments(document),
    )


def etax_attachments(document: Document) -> list[Attachment]:
    """The document's own e-Tax XML, when it was made (a failed one is left out)."""
    if document.pk is None or document.number is None:
        return []
    from billing.etax.builder import type_code

    record = EtaxXml.objects.filter(
        document=document, type_code=type_code(document)
    ).first()
    if record is None or not record.is_embeddable:
        return []
    return [
        Attachment(
            string=record.xml.encode(),
            name=f"{record.number}.xml",
            description=f"ETDA e-Tax XML {record.type_code} ({'signed' if record.signed else 'unsigned'})",
            relationship="Alternative",
        )
    ]
