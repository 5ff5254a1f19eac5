"""Every string we mark for translation has its Thai text (Thai is the default language)."""

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/th/LC_MESSAGES/django.po")
    if ".venv" not in path.parts
)


def entries(path: Path) -> list[dict[str, str]]:
    """The entries of a .po file: msgid, msgstr (or msgstr[0]) and flags, strings joined."""
    found: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current:
                found.append(current)
            current, key = {}, ""
        elif line.startswith("#,"):
            current["flags"] = line
        elif line.startswith("#"):
            continue
        elif match := re.match(
            r'^(msgid|msgstr(?:\[0\])?|msgid_plural|msgctxt) "(.*)"$', line
        ):
            key = match[1].replace("[0]", "")
            current[key] = match[2]
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
    return [entry for entry in found if entry.get("msgid")]


def test_every_app_has_a_thai_catalogue():
    apps = {path.relative_to(ROOT).parts[0] for path in CATALOGUES}
    assert {"locale", "accounts", "policy", "auditlog", "billing", "support"} <= apps


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_thai_catalogue_is_complete(path):
    untranslated = [e["msgid"] for e in entries(path) if not e.get("msgstr")]
    fuzzy = [e["msgid"] for e in entries(path) if "fuzzy" in e.get("flags", "")]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches_its_source(path):
    """The committed .mo carries every translation of its .po (compilemessages was run)."""
    with path.with_suffix(".mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    def unescape(text: str) -> str:
        return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")

    stale = [
        e["msgid"]
        for e in entries(path)
        if "msgid_plural" not in e
        and "msgctxt" not in e
        and catalogue.gettext(unescape(e["msgid"])) != unescape(e["msgstr"])
    ]
    assert stale == []
