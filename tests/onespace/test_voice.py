"""One voice in Thai (docs/glossary.md): ท่าน for the reader, นโยบายส่วนบุคคล for the policy."""

import re
from pathlib import Path

import pytest

from tests.onespace.test_translations import CATALOGUES, ROOT, entries

# คุณ as a pronoun. Allowed: ขอบคุณ (thank you), words that merely start with คุณ
# (คุณภาพ quality, คุณสมบัติ property, ...) and คุณ as the title before a person's name
# ("เรียน คุณ%(name)s", "คุณ{{ name }}"), which is how billing greets a person.
PRONOUN_KHUN = re.compile(
    r"(?<!ขอบ)คุณ(?!ภาพ|สมบัติ|ค่า|ลักษณะ|ธรรม|ประโยชน์|\s*%\(|\s*\{\{|\s*\{)"
)
# The seed's legal title is นโยบายส่วนบุคคล; the other names appear only as its
# explanation in parentheses.
OTHER_POLICY_NAMES = re.compile(r"(?<!\()(นโยบายความเป็นส่วนตัว|ประกาศความเป็นส่วนตัว)")

TEMPLATES = sorted(
    path
    for path in (ROOT / "templates").glob("**/*")
    if path.suffix in {".html", ".txt"}
)
THAI_SOURCES = [
    ROOT / "policy" / "seed" / "privacy-policy.th.txt",
    ROOT / "billing" / "provinces.py",
]


def _thai_texts() -> list[tuple[str, str]]:
    texts = [
        (f"{path.relative_to(ROOT)}: {entry['msgid'][:60]}", entry.get("msgstr", ""))
        for path in CATALOGUES
        for entry in entries(path)
    ]
    texts += [(str(path.relative_to(ROOT)), path.read_text()) for path in TEMPLATES]
    texts += [
        (str(path.relative_to(ROOT)), path.read_text())
        for path in THAI_SOURCES
        if path.exists()
    ]
    return texts


def test_the_reader_is_always_than_never_khun():
    found = [
        (where, text) for where, text in _thai_texts() if PRONOUN_KHUN.search(text)
    ]
    assert found == []


def test_the_policy_has_one_thai_name():
    found = [
        (where, text)
        for where, text in _thai_texts()
        if OTHER_POLICY_NAMES.search(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("text", "is_pronoun"),
    [
        ("ตั๋วของคุณ", True),
        ("คุณยังไม่ได้เปิดตั๋ว", True),
        ("ขอบคุณ", False),
        ("เรียน คุณ%(name)s", False),
        ("เรียน คุณ{{ name }}", False),
        ("คุณภาพบริการ", False),
    ],
)
def test_the_pronoun_rule_itself(text, is_pronoun):
    assert bool(PRONOUN_KHUN.search(text)) is is_pronoun


def test_the_glossary_exists_and_names_both_choices():
    glossary = (ROOT / "docs" / "glossary.md").read_text()
    assert "ท่าน" in glossary
    assert "นโยบายส่วนบุคคล" in glossary
    assert Path(ROOT / "docs" / "glossary.md").exists()
