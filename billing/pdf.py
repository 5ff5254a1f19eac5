"""Tax documents as PDF: WeasyPrint, A4, the Sarabun font shipped with fontpkg-sarabun."""

from collections.abc import Sequence

from django.template.loader import render_to_string

from billing.models import Document, DocumentLine
from onespace.pdf import FONTS, html_to_pdf

ORIGINAL_AND_COPY = (False, True)


def document_html(
    document: Document,
    *,
    copies: tuple[bool, ...] = ORIGINAL_AND_COPY,
    lines: Sequence[DocumentLine] | None = None,
) -> str:
    """HTML of the document: the original (ต้นฉบับ) then, by default, a copy (สำเนา)."""
    if lines is None:
        lines = list(document.lines.all())
    return render_to_string(
        "billing/pdf/document.html",
        {"document": document, "lines": lines, "copies": copies, "fonts": FONTS},
    )


def render_pdf(
    document: Document,
    *,
    copies: tuple[bool, ...] = ORIGINAL_AND_COPY,
    lines: Sequence[DocumentLine] | None = None,
) -> bytes:
    """The PDF of an issued document."""
    return html_to_pdf(
        document_html(document, copies=copies, lines=lines), font_css=False
    )
