"""Tax documents as PDF: WeasyPrint, A4, the Sarabun font shipped with fontpkg-sarabun."""

from pathlib import Path

import fontpkg_sarabun
from django.template.loader import render_to_string
from weasyprint import HTML

from billing.models import Document

FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
FONTS = {
    "regular": (FONT_DIR / "Sarabun-Regular.ttf").as_uri(),
    "bold": (FONT_DIR / "Sarabun-Bold.ttf").as_uri(),
}


def document_html(
    document: Document, *, copies: tuple[bool, ...] = (False, True)
) -> str:
    """HTML of the document: the original (ต้นฉบับ) then, by default, a copy (สำเนา)."""
    return render_to_string(
        "billing/pdf/document.html",
        {
            "document": document,
            "lines": list(document.lines.all()),
            "copies": copies,
            "fonts": FONTS,
        },
    )


def html_to_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes; fonts are embedded (subset) by WeasyPrint."""
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf()


def render_pdf(
    document: Document, *, copies: tuple[bool, ...] = (False, True)
) -> bytes:
    """The PDF of an issued document."""
    return html_to_pdf(document_html(document, copies=copies))
