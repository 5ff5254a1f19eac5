"""The PDF text layer reads back exactly the Thai the template was given (docs/thai-rules.md).

One page holds every consonant with sara am under each tone mark, every upper vowel under each
tone, the lower vowels under each tone (tall consonants ป ฝ ฟ ฬ and ญ ฐ among them), maitaikhu,
thanthakhat, ฤ ฦ ๅ, Thai digits and real names and addresses. pypdf and pdftotext must give
back each line character for character: NFC, ำ as U+0E33, no mark dropped, moved or doubled.
"""

import io
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from onespace.pdf import FONTS, html_to_pdf
from tests.conftest import skip_or_fail

CONSONANTS = [chr(code) for code in range(0x0E01, 0x0E2F)]  # ก … ฮ, ฃ and ฅ included
TONES = ["", "\u0e48", "\u0e49", "\u0e4a", "\u0e4b"]  # none, ่ ้ ๊ ๋
UPPER_VOWELS = ["\u0e31", "\u0e34", "\u0e35", "\u0e36", "\u0e37"]  # ั ิ ี ึ ื
LOWER_VOWELS = ["\u0e38", "\u0e39", "\u0e3a"]  # ุ ู ฺ


def syllables(consonant: str) -> str:
    words = [consonant + tone + "\u0e33" for tone in TONES]  # ำ ่ำ ้ำ ๊ำ ๋ำ
    words += [consonant + vowel + tone for vowel in UPPER_VOWELS for tone in TONES]
    words += [consonant + vowel + tone for vowel in LOWER_VOWELS for tone in TONES]
    words += [
        consonant + "\u0e47",  # ็
        consonant + "\u0e4c",  # ์
        consonant + "\u0e34\u0e4c",  # ิ์
        consonant + "\u0e38\u0e4c",  # ุ์
        "เ" + consonant + "\u0e47",
        "ไ" + consonant + "\u0e48",
        "แ" + consonant + "\u0e49",
        "โ" + consonant + "\u0e4a",
        "ใ" + consonant + "\u0e4b",
    ]
    return " ".join(words)


REAL_TEXT = [
    "ลูกค้าน้ำใจ นางสาวน้ำฝน ใจดี ค้ำประกัน ต่ำ ร่ำรวย ต๊ำ ต๋ำ",
    "บริษัท ฟู้ดส์ ป๊อปคอร์น (ประเทศไทย) จำกัด (มหาชน) ศักดิ์สิทธิ์ ฤทธิ์ ฤๅษี ฦๅ",
    "99/1 ซอยสุขุมวิท 21 (อโศก) ถนนพหลโยธิน แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400",
    "ตำบลบ่อน้ำร้อน อำเภอกันทรลักษ์ จังหวัดศรีสะเกษ 33110 ตำบลฝั่งแดง ญาติ บุญ ฐานะ ฎีกา ปฏิบัติ",
    "ใบเสร็จรับเงิน/ใบกำกับภาษี ใบลดหนี้ ใบเพิ่มหนี้ ต้นฉบับ สำเนา สำนักงานใหญ่ ผู้มีอำนาจลงนาม",
    "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบหกสตางค์ ยกเลิกและออกใบกำกับภาษีฉบับใหม่แทนฉบับเดิม",
    "๐๑๒๓๔๕๖๗๘๙ ฯ ๆ ฿ ๏ ๚ ๛ Cloud server, 2 vCPU — 1,500.00 THB (VAT 7 %)",
]


def page_lines() -> list[str]:
    return [syllables(consonant) for consonant in CONSONANTS] + REAL_TEXT


def page_html(lines: list[str], *, weight: str = "regular") -> str:
    body = "".join(f"<p>{line}</p>" for line in lines)
    return (
        "<!doctype html><html lang='th'><head><meta charset='utf-8'><style>"
        "@page { size: A4 landscape; margin: 6mm; }"
        f"@font-face {{ font-family: Sarabun; src: url('{FONTS[weight]}'); }}"
        "body { font-family: Sarabun; font-size: 7pt; }"
        "p { margin: 0; white-space: nowrap; }"
        f"</style></head><body>{body}</body></html>"
    )


def pypdf_lines(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text().split("\n")


def pdftotext_lines(pdf: bytes) -> list[str]:
    if shutil.which("pdftotext") is None:
        skip_or_fail("needs pdftotext (apt-get install poppler-utils)")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [line for line in text.split("\n") if line.strip("\x0c")]


def assert_same_lines(extracted: list[str], expected: list[str]) -> None:
    """Character for character, line by line; the first difference is named."""
    for source, got in zip(expected, extracted, strict=False):
        assert got == source
    assert len(extracted) == len(expected)


def test_the_page_of_thai_combinations_is_all_nfc():
    for line in page_lines():
        assert unicodedata.normalize("NFC", line) == line


@pytest.mark.parametrize("weight", ["regular", "bold"])
def test_pypdf_reads_every_thai_combination_exactly(weight):
    lines = page_lines()
    assert_same_lines(
        pypdf_lines(html_to_pdf(page_html(lines, weight=weight), font_css=False)), lines
    )


@pytest.mark.parametrize("weight", ["regular", "bold"])
def test_pdftotext_reads_every_thai_combination_exactly(weight):
    lines = page_lines()
    pdf = html_to_pdf(page_html(lines, weight=weight), font_css=False)
    assert_same_lines(pdftotext_lines(pdf), lines)


def test_sara_am_keeps_its_tone_mark_and_stays_one_character():
    pdf = html_to_pdf(page_html(["น้ำใจ ต่ำ ค้ำประกัน ภาษี นาใจ"]), font_css=False)
    for lines in (pypdf_lines(pdf), pdftotext_lines(pdf)):
        assert lines == ["น้ำใจ ต่ำ ค้ำประกัน ภาษี นาใจ"]
        assert "\u0e4d" not in lines[0]  # no nikhahit + sara aa for ำ


def test_plain_weasyprint_gets_the_same_page_wrong():
    """What the correction is for: raw WeasyPrint maps a glyph to its first cluster."""
    lines = page_lines()
    raw = HTML(string=page_html(lines)).write_pdf()
    assert pypdf_lines(raw) != lines


def test_the_correction_changes_no_pixel(tmp_path):
    """The codes draw the very glyphs at the very places plain WeasyPrint draws them."""
    if shutil.which("pdftoppm") is None:
        skip_or_fail("needs pdftoppm (apt-get install poppler-utils)")
    html = page_html(page_lines())
    images = []
    for name, pdf in (
        ("app", html_to_pdf(html, font_css=False)),
        ("raw", HTML(string=html).write_pdf()),
    ):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "200",
                "-gray",
                tmp_path / f"{name}.pdf",
                tmp_path / name,
            ],
            check=True,
        )
        images.append((tmp_path / f"{name}-1.pgm").read_bytes())
    assert images[0] == images[1]
