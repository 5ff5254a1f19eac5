"""HTML to PDF with WeasyPrint and the Sarabun font, shared by the apps that print documents."""

import io
import re
from pathlib import Path
from typing import Any

import fontpkg_sarabun
import pydyf
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
# file:// URLs for @font-face; WeasyPrint embeds the glyphs a document uses.
FONTS = {
    "regular": (FONT_DIR / "Sarabun-Regular.ttf").as_uri(),
    "bold": (FONT_DIR / "Sarabun-Bold.ttf").as_uri(),
}
# Thai text needs a Thai font: Sarabun for every element unless a stylesheet says otherwise.
FONT_CSS = f"""
@font-face {{ font-family: "Sarabun"; src: url("{FONTS["regular"]}"); font-weight: normal; }}
@font-face {{ font-family: "Sarabun"; src: url("{FONTS["bold"]}"); font-weight: bold; }}
html {{ font-family: "Sarabun", sans-serif; }}
"""


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


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html`` (A4 unless its CSS says otherwise), Sarabun embedded.

    The text layer is corrected so copied or extracted Thai reads as written.
    """

    # @font-face rules only load through a FontConfiguration shared by CSS and writer.
    font_config = FontConfiguration()
    document = HTML(string=html, base_url=base_url or str(FONT_DIR))
    return document.write_pdf(  # type: ignore[no-any-return]
        stylesheets=[CSS(string=FONT_CSS, font_config=font_config)],
        font_config=font_config,
        finisher=exact_thai_text,
    )
