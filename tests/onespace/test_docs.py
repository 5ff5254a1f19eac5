"""The project explains itself: README links docs/, and every relative link resolves."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_docs_cover_architecture_thai_rules_and_glossary():
    names = {path.name for path in (ROOT / "docs").glob("*.md")}
    assert {"architecture.md", "thai-rules.md", "glossary.md"} <= names
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    for heading in (
        "## A request",
        "## A node event",
        "## An invoice",
        "## An erasure",
    ):
        assert heading in architecture


def test_readme_points_at_docs_not_outside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../shared" not in readme
    assert "](docs/README.md)" in readme


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_relative_link_resolves(document):
    broken = [
        target
        for target in LINK.findall(document.read_text())
        if "://" not in target
        and not target.startswith("mailto:")
        and not (document.parent / target).exists()
    ]
    assert broken == []
