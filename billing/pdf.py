"""Tax documents as PDF: WeasyPrint, A4, the Sarabun font shipped with fontpkg-sarabun."""

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fontpkg_sarabun
import pydyf
from django.template.loader import render_to_string
from fontTools.ttLib import TTFont
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


def _glyph_characters(font_bytes: bytes) -> dict[int, str]:
    """Glyph id → its own character, from the embedded font's cmap (glyph ids are kept)."""
    font = TTFont(io.BytesIO(font_bytes), lazy=True)
    characters: dict[int, str] = {}
    for codepoint, glyph_name in (font.getBestCmap() or {}).items():
        characters.setdefault(font.getGlyphID(glyph_name), chr(codepoint))
    return characters


def _object(pdf: Any, reference: Any) -> Any:
    return pdf.objects[int(bytes(reference).split()[0])]


def _embedded_font(pdf: Any, font: Any) -> bytes | None:
    try:
        cid_font = _object(pdf, font["DescendantFonts"][0])
        descriptor = _object(pdf, cid_font["FontDescriptor"])
        stream = _object(pdf, descriptor.get("FontFile2") or descriptor["FontFile3"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return b"".join(part for part in stream.stream if isinstance(part, bytes))


def _is_thai(text: str) -> bool:
    return all("\u0e00" <= ch <= "\u0e7f" for ch in text)


def exact_thai_text(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: give each Thai glyph its own character in the text layer.

    WeasyPrint maps a glyph to the text of the cluster it was first seen in, so the
    glyph of า drawn for ำ reads ำ everywhere after (ภำษี) and nikhahit reads nothing
    (จากัด). Mapping every Thai glyph to its own character makes extracted and copied
    text equal to the source up to NFKC (ำ comes out as its decomposition ํา).
    """
    for obj in list(pdf.objects):
        if not isinstance(obj, pydyf.Dictionary) or "ToUnicode" not in obj:
            continue
        font_bytes = _embedded_font(pdf, obj)
        if not font_bytes:
            continue
        characters = _glyph_characters(font_bytes)
        cmap = _object(pdf, obj["ToUnicode"])
        cmap.stream = [_fix_cmap_line(line, characters) for line in cmap.stream]


def _fix_cmap_line(line: Any, characters: dict[int, str]) -> Any:
    match = _BFCHAR.fullmatch(line) if isinstance(line, bytes) else None
    if match is None:
        return line
    glyph = int(match[1], 16)
    text = bytes.fromhex(match[2].decode()).decode("utf-16-be")
    own = characters.get(glyph)
    if own is None or own == text or not _is_thai(own) or not _is_thai(text):
        return line
    return f"<{glyph:04x}> <{own.encode('utf-16-be').hex()}>".encode()


_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})> <([0-9a-fA-F]*)>")


def html_to_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes; fonts are embedded (subset) by WeasyPrint."""
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf(finisher=exact_thai_text)


def render_pdf(
    document: Document,
    *,
    copies: tuple[bool, ...] = ORIGINAL_AND_COPY,
    lines: Sequence[DocumentLine] | None = None,
) -> bytes:
    """The PDF of an issued document."""
    return html_to_pdf(document_html(document, copies=copies, lines=lines))
