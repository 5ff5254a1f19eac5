"""Write one person's data, category by category from the registry, into a ZIP file.

Rows are streamed from the database (``Category.export`` iterates in chunks) and
written straight into the archive member, so memory stays flat however long the
history is (PDPA s.30-31: access and portability, in a machine-readable form).
"""

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone, translation

from policy.registry import Category, registry

_ENCODER = DjangoJSONEncoder(ensure_ascii=False)


def category_filename(category: type[Category]) -> str:
    return f"{category.key.replace('.', '-')}.json"


def _write_rows(member: IO[bytes], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as a JSON array, one row at a time; return how many were written."""
    count = 0
    member.write(b"[\n")
    for row in rows:
        if count:
            member.write(b",\n")
        member.write(_ENCODER.encode(row).encode())
        count += 1
    member.write(b"\n]\n")
    return count


def write_export(user: Any, path: Path, *, language: str) -> dict[str, int]:
    """Write the ZIP for ``user`` at ``path``; return the row count per category key."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for category in registry:
            with archive.open(
                category_filename(category), "w", force_zip64=True
            ) as member:
                counts[category.key] = _write_rows(member, category.export(user))
        with translation.override(language):
            readme = render_to_string(
                "policy/export_readme.txt",
                {
                    "user": user,
                    "created_at": timezone.now(),
                    "files": [
                        (category_filename(category), category, counts[category.key])
                        for category in registry
                    ],
                },
            )
        archive.writestr("README.txt", readme)
        archive.writestr(
            "manifest.json",
            json.dumps(
                {"generated_at": timezone.now().isoformat(), "counts": counts},
                ensure_ascii=False,
                indent=2,
            ),
        )
    return counts
