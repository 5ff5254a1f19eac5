"""Tax documents as PDF: WeasyPrint, A4, the Sarabun font shipped with fontpkg-sarabun."""

from collections.abc import Sequence
from pathlib import Path

import fontpkg_sarabun
from django.template.loader import render_to_string
from weasyprint import HTML

from billing.models import Document, DocumentLine

FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
# Referenced by file:// URLs in @font-face; WeasyPrint embeds the used glyphs.
FONTS = {
    "regular": (FONT_DIR / "Sarabun-Regular.ttf").as_uri(),
    "bold": (FONT_DIR / "Sarabun-Bold.ttf").as_uri(),
}
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


def html_to_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes; fonts are embedded (subset) by WeasyPrint."""
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf()


def render_pdf(
    document: Document,
    *,
    copies: tuple[bool, ...] = ORIGINAL_AND_COPY,
    lines: Sequence[DocumentLine] | None = None,
) -> bytes:
    """The PDF of an issued document."""
    return html_to_pdf(document_html(document, copies=copies, lines=lines))
