"""The "what we collect" table as published: a snapshot of the registry per notice version.

Publishing a version freezes the registry into ``NoticeVersion.registry_snapshot``, in
both languages; ``/privacy/`` renders the snapshot of the version in force, so a new
purpose or a longer retention reaches customers only through a published version, its
announcement and the notice period. The system check ``policy.E020`` fails when the live
registry differs from the version in force and neither a draft nor the scheduled
version covers the difference.
"""

from collections.abc import Callable
from typing import Any

from django.utils import translation

from policy.registry import registry

LANGUAGES = ("th", "en")


def _both(value: Callable[[], Any]) -> dict[str, str]:
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = str(value())
    return texts


def take() -> list[dict[str, Any]]:
    """The registry as it stands, JSON-ready, in Thai and English."""
    entries = []
    for category in registry:
        entries.append(
            {
                "key": category.key,
                "name": _both(lambda c=category: c.name),
                "purpose": _both(lambda c=category: c.purpose),
                "legal_basis": str(category.legal_basis),
                "legal_basis_display": _both(category.get_legal_basis_display),
                "retention_days": (
                    category.retention.days if category.retention is not None else None
                ),
                "retention_display": _both(category.retention_display),
                "retention_reason": _both(lambda c=category: c.retention_reason),
                "recipients": [
                    _both(lambda r=recipient: r) for recipient in category.recipients
                ],
                "erasure": str(category.erasure),
                "fields": list(category.fields),
            }
        )
    return entries


def _substance(entries: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """What a customer must be told about before it changes: purpose, basis, retention,
    recipients, the data itself and what erasure does (not a wording fix of a name)."""
    return {
        entry["key"]: (
            entry["purpose"].get("en"),
            entry["purpose"].get("th"),
            entry["legal_basis"],
            entry["retention_days"],
            tuple(sorted(r.get("en", "") for r in entry["recipients"])),
            tuple(sorted(entry["fields"])),
            entry["erasure"],
        )
        for entry in entries
    }


def differences(frozen: list[dict[str, Any]], live: list[dict[str, Any]]) -> list[str]:
    """Category keys added, removed or changed in substance between two snapshots."""
    before, after = _substance(frozen), _substance(live)
    return sorted(
        key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
    )


class PublishedCategory:
    """One row of a snapshot, read in the active language, shaped like a Category."""

    do_not_call_in_templates = True

    def __init__(self, entry: dict[str, Any]) -> None:
        self.entry = entry
        self.key = entry["key"]
        self.fields = entry.get("fields", [])

    def _text(self, name: str) -> str:
        texts = self.entry.get(name) or {}
        language = translation.get_language() or "th"
        return str(texts.get(language[:2]) or texts.get("th") or "")

    @property
    def name(self) -> str:
        return self._text("name")

    @property
    def purpose(self) -> str:
        return self._text("purpose")

    @property
    def get_legal_basis_display(self) -> str:
        return self._text("legal_basis_display")

    @property
    def retention_display(self) -> str:
        return self._text("retention_display")

    @property
    def retention_reason(self) -> str:
        return self._text("retention_reason")


def published_categories(version: Any) -> list[Any]:
    """The table of ``version`` as published; the live registry for a version that
    predates snapshots (or none in force)."""
    entries = getattr(version, "registry_snapshot", None) if version else None
    if not entries:
        return list(registry)
    return [PublishedCategory(entry) for entry in entries]
