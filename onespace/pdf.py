"""HTML to PDF with WeasyPrint and the Sarabun font, shared by the apps that print documents.

The text layer is exact: copying or extracting (pdftotext, pypdf) any string gives back the
characters the template was given, ำ as U+0E33 and every tone mark in place. Raw
WeasyPrint cannot promise that. HarfBuzz draws Thai with more glyphs than characters (ำ is
nikhahit + sara aa, and Sarabun fuses the nikhahit with a preceding tone mark into one glyph)
and with substitute glyphs that have no character of their own (a tone mark moved left
after ป ฝ ฟ ฬ). WeasyPrint's ``/ToUnicode`` gives each glyph id one text, taken from the first
cluster it was seen in, so the า of น้ำ reads ้ำ wherever า appears afterwards (ภ้ำษี).

The fix gives a glyph a new character code whenever it must read differently: each code
stands for (glyph, text, advance), ``/CIDToGIDMap`` draws it with the original glyph, and
``/ToUnicode`` maps it to its own text (PDF 32000-1 9.7.4.2, 9.10.3; one code may map to
several characters). A base character and its marks are read as one unit: when its glyphs
are its characters one by one and no mark is moved, the glyph ids stay their own codes (most
Thai, all Latin); otherwise each glyph with an advance reads one character with the marks
after it and the marks read nothing, so no reader has to place a mark. A zero-width mark
moved left advances by the move, so no reader sees a word gap after it. The pages are drawn
exactly as plain WeasyPrint draws them.

Limits: RTL text, bitmap and colour fonts, and lines WeasyPrint re-lays out with an ellipsis
keep WeasyPrint's own mapping. The hook wraps ``weasyprint.draw.text.draw_first_line`` only
while :func:`html_to_pdf` renders; tests in ``tests/billing/test_pdf_text.py`` pin it.
"""

import contextvars
import functools
import io
import sys
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fontpkg_sarabun
import pydyf
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint.draw import text as weasyprint_text
from weasyprint.text.ffi import FROM_UNITS, ffi, pango
from weasyprint.text.fonts import FontConfiguration

from onespace import metrics

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

# WeasyPrint numbers glyphs missing from every font from the font's glyph count upwards;
# new codes start above this many of them.
_MISSING_GLYPH_ROOM = 256
# Characters that draw no advance of their own: they read with the character before them.
_MARK_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


@dataclass
class _FontCodes:
    """The extra character codes of one embedded font in one PDF."""

    first: int
    codes: dict[tuple[int, str, int], int] = field(default_factory=dict)
    glyphs: dict[int, int] = field(default_factory=dict)
    # Glyph ids listed in the font's map only so the subsetter keeps their outlines.
    placeholders: set[int] = field(default_factory=set)


# The fonts of the PDF being rendered by html_to_pdf (None outside it: plain WeasyPrint).
_rendering: contextvars.ContextVar[dict[Any, _FontCodes] | None] = (
    contextvars.ContextVar("onespace_pdf_rendering", default=None)
)


@functools.lru_cache(maxsize=8)
def _nominal_glyphs(font_bytes: bytes, index: int) -> dict[int, int]:
    """Code point → glyph id of the font's own character map."""
    font = TTFont(io.BytesIO(font_bytes), fontNumber=index, lazy=True)
    glyph_ids = font.getReverseGlyphMap()
    return {
        codepoint: glyph_ids[name]
        for codepoint, name in (font.getBestCmap() or {}).items()
    }


@dataclass
class _Glyph:
    info: Any  # PangoGlyphInfo, written in place
    width: int  # advance, Pango units
    x_offset: int


def _graphemes(glyph_item: Any, text: bytes) -> Iterator[tuple[str, list[_Glyph]]]:
    """(text, glyphs) of each base character with its marks in a left-to-right run.

    HarfBuzz clusters are joined when the next one starts with a mark, so a consonant and
    the vowels and tone marks above or below it are read as one unit.
    """
    glyph_string = glyph_item.glyphs
    count = glyph_string.num_glyphs
    offset, length = glyph_item.item.offset, glyph_item.item.length
    pending: tuple[str, list[_Glyph]] | None = None
    start = 0
    while start < count:
        cluster = glyph_string.log_clusters[start]
        end = start + 1
        while end < count and glyph_string.log_clusters[end] == cluster:
            end += 1
        stop = glyph_string.log_clusters[end] if end < count else length
        piece = text[offset + cluster : offset + stop].decode()
        glyphs = [
            _Glyph(
                glyph_string.glyphs[i],
                glyph_string.glyphs[i].geometry.width,
                glyph_string.glyphs[i].geometry.x_offset,
            )
            for i in range(start, end)
        ]
        if pending is not None and piece and _is_mark(piece[0]):
            pending = (pending[0] + piece, pending[1] + glyphs)
        else:
            if pending is not None:
                yield pending
            pending = (piece, glyphs)
        start = end
    if pending is not None:
        yield pending


def _is_mark(character: str) -> bool:
    return unicodedata.category(character) in _MARK_CATEGORIES


def _texts(grapheme: str, glyphs: list[_Glyph]) -> list[str]:
    """What each glyph reads as; joined in drawing order they give ``grapheme``.

    Each glyph with an advance takes one spacing character and the marks after it (marks
    before the first spacing character go with that one); zero-width glyphs read as nothing.
    When the counts differ (a ligature), the last glyph with an advance reads it all.
    """
    if len(glyphs) == 1:
        return [grapheme]
    segments: list[str] = []
    spacing_seen = False
    for character in grapheme:
        is_mark = _is_mark(character)
        if not segments or (spacing_seen and not is_mark):
            segments.append(character)
        else:
            segments[-1] += character
        spacing_seen = spacing_seen or not is_mark
    advancing = [i for i, glyph in enumerate(glyphs) if glyph.width > 0]
    texts = [""] * len(glyphs)
    if advancing and len(segments) == len(advancing):
        for i, segment in zip(advancing, segments, strict=True):
            texts[i] = segment
    else:
        texts[(advancing or [len(glyphs) - 1])[-1]] = grapheme
    return texts


def _glyph_width(
    font: Any, stream: Any, pango_font: Any, glyph: int, size: float
) -> int:
    """The glyph's advance in thousandths of an em, as WeasyPrint computes it."""
    if glyph in font.widths:
        return int(font.widths[glyph])
    pango.pango_font_get_glyph_extents(
        pango_font, glyph, stream.ink_rect, stream.logical_rect
    )
    return round(stream.logical_rect.width * 1000 * FROM_UNITS / size)


def _code(font: Any, codes: _FontCodes, glyph: int, text: str, width: int) -> int:
    """The character code that draws ``glyph``, reads ``text`` and advances ``width``."""
    key = (glyph, text, width)
    code = codes.codes.get(key)
    if code is None:
        code = codes.first + len(codes.codes)
        if code > 0xFFFF:  # two-byte codes (Identity-H) are all used: keep the glyph id
            return glyph
        codes.codes[key] = code
        codes.glyphs[code] = glyph
        font.to_unicode[code] = text
        font.widths[code] = width
    if glyph not in font.to_unicode:
        font.to_unicode[glyph] = ""
        codes.placeholders.add(glyph)
    return code


def _claim(font: Any, codes: _FontCodes, glyph: int, text: str) -> bool:
    """Whether the glyph id itself may stand for ``text`` (it reads ``text`` everywhere)."""
    current = font.to_unicode.get(glyph)
    if current is None or glyph in codes.placeholders:
        font.to_unicode[glyph] = text
        codes.placeholders.discard(glyph)
        return True
    return bool(current == text)


def _recode_line(stream: Any, textbox: Any, fonts: dict[Any, _FontCodes]) -> None:
    """Give the glyphs of the textbox's first line the codes that read as its text."""
    first_line, _index = textbox.pango_layout.get_first_line()
    text = textbox.pango_layout.text.encode()
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        if (
            glyph_item.item.analysis.level % 2
        ):  # right-to-left: left as WeasyPrint draws it
            continue
        pango_font = glyph_item.item.analysis.font
        font, size = stream.add_font(pango_font)
        if font.bitmap or font.png or font.svg or font.colr:
            continue
        if pango.pango_version() < 14802:  # as WeasyPrint: Pango issue 530
            size = textbox.style["font_size"]
        codes = fonts.setdefault(
            font, _FontCodes(first=font.glyph_count + _MISSING_GLYPH_ROOM)
        )
        nominal = _nominal_glyphs(font.file_content, font.index)
        for grapheme, glyphs in _graphemes(glyph_item, text):
            ids = [glyph.info.glyph for glyph in glyphs]
            if any(glyph_id >= font.glyph_count for glyph_id in ids):
                continue  # empty, missing or already recoded: WeasyPrint's own handling
            # Glyph by glyph when each is its own character and no mark is moved;
            # otherwise the base glyphs read the marks and the marks read nothing.
            plain = (
                len(ids) == len(grapheme)
                and all(
                    nominal.get(ord(character)) == glyph_id
                    for character, glyph_id in zip(grapheme, ids, strict=True)
                )
                and not any(glyph.x_offset for glyph in glyphs if glyph.width == 0)
            )
            texts = list(grapheme) if plain else _texts(grapheme, glyphs)
            for glyph, glyph_id, reads in zip(glyphs, ids, texts, strict=True):
                # A zero-width mark moved left advances by the move, so the pen is back
                # where it was without a gap a reader would take for a space. Truncated
                # as WeasyPrint truncates its own correction: every glyph stays in place.
                moved_mark = glyph.width == 0 and glyph.x_offset < 0
                own = len(reads) == 1 and nominal.get(ord(reads)) == glyph_id
                if own and not moved_mark and _claim(font, codes, glyph_id, reads):
                    continue
                if moved_mark:
                    width = int(-glyph.x_offset / size)
                else:
                    width = _glyph_width(font, stream, pango_font, glyph_id, size)
                glyph.info.glyph = _code(font, codes, glyph_id, reads, width)


_weasyprint_draw_first_line = getattr(
    weasyprint_text.draw_first_line, "__wrapped__", weasyprint_text.draw_first_line
)


@functools.wraps(_weasyprint_draw_first_line)
def _draw_first_line(
    stream: Any, textbox: Any, text_overflow: str, block_ellipsis: Any, matrix: Any
) -> Any:
    fonts = _rendering.get()
    if (
        fonts is not None
        and text_overflow != "ellipsis"
        and block_ellipsis == "none"
        and textbox.text.strip()
        and textbox.style["font_size"] >= 1e-6
    ):
        # WeasyPrint sets this before drawing; a change would lay the line out again and
        # drop the codes, so it is set first.
        pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
        _recode_line(stream, textbox, fonts)
    return _weasyprint_draw_first_line(
        stream, textbox, text_overflow, block_ellipsis, matrix
    )


weasyprint_text.draw_first_line = _draw_first_line


def _object(pdf: Any, reference: Any) -> Any:
    return pdf.objects[int(bytes(reference).split()[0])]


def _write_glyph_maps(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: each font with extra codes gets the /CIDToGIDMap drawing them."""
    fonts = _rendering.get() or {}
    by_name = {font.name: (font, codes) for font, codes in fonts.items() if codes.codes}
    for obj in list(pdf.objects):
        if not isinstance(obj, pydyf.Dictionary) or "DescendantFonts" not in obj:
            continue
        if obj.get("BaseFont") not in by_name:
            continue
        font, codes = by_name[obj["BaseFont"]]
        if font.missing and max(font.missing.values()) >= codes.first:
            raise RuntimeError(f"Too many characters missing from {font.family}.")
        glyph_ids = array("H", range(codes.first + len(codes.codes)))
        for missing in range(font.glyph_count, codes.first):
            glyph_ids[missing] = 0
        for code, glyph in codes.glyphs.items():
            glyph_ids[code] = glyph
        if sys.byteorder == "little":
            glyph_ids.byteswap()  # the map is big-endian (PDF 32000-1, table 117)
        glyph_map = pydyf.Stream([glyph_ids.tobytes()], compress=True)
        pdf.add_object(glyph_map)
        _object(pdf, obj["DescendantFonts"][0])["CIDToGIDMap"] = glyph_map.reference


def _finish(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: the glyph maps, and each associated file listed once.

    WeasyPrint 70's PDF/A-3 writer lists an attachment in the catalog's /AF twice (from
    the embedded-files name tree and from its file specification); PDF/A-3 wants it once.
    """
    _write_glyph_maps(document, pdf)
    if "AF" in pdf.catalog:
        seen: list[Any] = []
        for reference in pdf.catalog["AF"]:
            if reference not in seen:
                seen.append(reference)
        pdf.catalog["AF"] = pydyf.Array(seen)


def html_to_pdf(
    html: str | Sequence[str],
    *,
    base_url: str | None = None,
    font_css: bool = True,
    pdf_variant: str | None = None,
    attachments: Sequence[Any] = (),
) -> bytes:
    """The PDF of ``html`` (A4 unless its CSS says otherwise) with an exact text layer.

    Several HTML documents are laid out one by one and their pages joined, so each counts
    its own pages (a tax document's original and copy). ``font_css`` adds Sarabun for every
    element; HTML that declares its own fonts (the tax documents) passes False and is
    rendered as plain WeasyPrint renders it. ``pdf_variant`` (e.g. "pdf/a-3b") and
    ``attachments`` (WeasyPrint ``Attachment``s) go to WeasyPrint's writer.
    """
    with metrics.PDF_SECONDS.time():
        return _html_to_pdf(
            html,
            base_url=base_url,
            font_css=font_css,
            pdf_variant=pdf_variant,
            attachments=attachments,
        )


def _html_to_pdf(
    html: str | Sequence[str],
    *,
    base_url: str | None,
    font_css: bool,
    pdf_variant: str | None,
    attachments: Sequence[Any],
) -> bytes:
    parts = [html] if isinstance(html, str) else list(html)
    # @font-face rules only load through a FontConfiguration shared by CSS and writer.
    font_config = FontConfiguration()
    stylesheets = [CSS(string=FONT_CSS, font_config=font_config)] if font_css else []
    token = _rendering.set({})
    try:
        documents = [
            HTML(string=part, base_url=base_url or str(FONT_DIR)).render(
                stylesheets=stylesheets, font_config=font_config
            )
            for part in parts
        ]
        pages = [page for document in documents for page in document.pages]
        return (
            documents[0]
            .copy(pages)
            .write_pdf(  # type: ignore[no-any-return]
                finisher=_finish,
                pdf_variant=pdf_variant,
                attachments=list(attachments) or None,
            )
        )
    finally:
        _rendering.reset(token)
