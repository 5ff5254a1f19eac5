"""HTML to PDF with WeasyPrint and the Sarabun font, shared by the apps that print documents."""

from pathlib import Path

import fontpkg_sarabun
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


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html`` (A4 unless its CSS says otherwise), fonts embedded."""

    # @font-face rules only load through a FontConfiguration shared by CSS and writer.
    font_config = FontConfiguration()
    document = HTML(string=html, base_url=base_url or str(FONT_DIR))
    return document.write_pdf(  # type: ignore[no-any-return]
        stylesheets=[CSS(string=FONT_CSS, font_config=font_config)],
        font_config=font_config,
    )
