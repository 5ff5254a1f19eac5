"""Chain heads anchored outside the database, so that a cut tail or a forged checkpoint shows.

The hash chain (``auditlog.chain``) proves that no stored row was changed, removed or
slipped in between two others. It cannot see the newest rows deleted, nor a prefix
deleted and hidden behind a forged purge checkpoint: the rest still links up. Someone
with the owner role's rights could do either. So once a day ``write_anchor`` records each
chain's head (table, last id, that row's hash and time) in a JSON file signed with
HMAC-SHA256 (``AUDITLOG_ANCHOR_KEY``, else a key derived from ``SECRET_KEY``) in
``AUDITLOG_ANCHOR_DIR``, outside the database, and a copy goes by email to the Security
auditor group. ``verify`` holds the database against every anchor:

* the anchored row is there with the anchored hash (a rewritten chain changes it); or
* it is gone, and then a purge checkpoint covers it and it had passed the retention
  period (otherwise the tail was cut, or the checkpoint that covers it is forged);
* a checkpoint ending exactly at an anchored row carries that row's hash;
* an anchor file whose signature does not match is itself reported.

Limits: rows written since the last anchor are guarded by the triggers and grants only,
and so are the rows of the last day before the retention boundary (they expire anyway);
whoever can rewrite the database *and* every copy of the anchors (files and mail) is not
caught: keep the directory on storage the database host cannot rewrite.
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from auditlog.chain import Problem
from auditlog.checks import MINIMUM_RETENTION_DAYS
from auditlog.models import (
    AccessLog,
    ChainedLog,
    NodeEvent,
    PurgeCheckpoint,
    SecurityEvent,
)
from policy.models import RetentionSetting

# Each chain and the time its retention runs from (the purge's own column).
CHAINS: dict[str, tuple[type[ChainedLog], str]] = {
    "access": (AccessLog, "occurred_at"),
    "security": (SecurityEvent, "occurred_at"),
    "node": (NodeEvent, "received_at"),
}
KEY_SALT = "auditlog.anchor"
VERSION = 1


@dataclass(frozen=True)
class Head:
    """The last row of one chain when an anchor was written."""

    table: str
    last_id: int
    hash: str
    row_at: datetime


@dataclass(frozen=True)
class Anchor:
    """One signed anchor file."""

    name: str
    created_at: datetime
    heads: tuple[Head, ...]


def _signature(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return salted_hmac(
        KEY_SALT,
        text,
        secret=settings.AUDITLOG_ANCHOR_KEY or settings.SECRET_KEY,
        algorithm="sha256",
    ).hexdigest()


def heads() -> list[Head]:
    """The current head of every chain (an empty table has none)."""
    found = []
    for model, time_field in CHAINS.values():
        row = (
            model._default_manager.order_by("-id")
            .values_list("id", "hash", time_field)
            .first()
        )
        if row is not None:
            found.append(Head(model._meta.db_table, row[0], row[1], row[2]))
    return found


def anchor_text(now: datetime | None = None) -> tuple[str, str]:
    """A new anchor: its file name and its signed JSON text."""
    created_at = (now or timezone.now()).astimezone(UTC)
    body = {
        "version": VERSION,
        "created_at": created_at.isoformat(),
        "chains": [
            {
                "table": head.table,
                "last_id": head.last_id,
                "hash": head.hash,
                "row_at": head.row_at.astimezone(UTC).isoformat(),
            }
            for head in heads()
        ],
    }
    text = json.dumps({**body, "signature": _signature(body)}, indent=2) + "\n"
    return f"anchor-{created_at:%Y%m%dT%H%M%S%fZ}.json", text


def write_anchor(now: datetime | None = None) -> tuple[Path, str]:
    """Write a new signed anchor file to ``AUDITLOG_ANCHOR_DIR``; never overwrite one."""
    name, text = anchor_text(now)
    directory = Path(settings.AUDITLOG_ANCHOR_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stem = name.removesuffix(".json")
    for attempt in range(100):
        path = directory / (f"{stem}-{attempt}.json" if attempt else name)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        except FileExistsError:
            continue  # two anchors in the same microsecond (a frozen test clock)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        return path, text
    raise FileExistsError(f"no free anchor file name for {name} in {directory}")


def _parse(name: str, text: str) -> Anchor:
    data = json.loads(text)
    signature = data.pop("signature", "")
    if not constant_time_compare(signature, _signature(data)):
        raise ValueError("its signature does not match")
    return Anchor(
        name=name,
        created_at=datetime.fromisoformat(data["created_at"]),
        heads=tuple(
            Head(
                table=head["table"],
                last_id=int(head["last_id"]),
                hash=head["hash"],
                row_at=datetime.fromisoformat(head["row_at"]),
            )
            for head in data["chains"]
        ),
    )


def load_anchors() -> tuple[list[Anchor], list[Problem]]:
    """Every anchor in ``AUDITLOG_ANCHOR_DIR``, oldest first, and one problem per bad file."""
    anchors: list[Anchor] = []
    problems: list[Problem] = []
    directory = Path(settings.AUDITLOG_ANCHOR_DIR)
    if not directory.is_dir():
        return anchors, problems
    for path in sorted(directory.glob("anchor-*.json")):
        try:
            anchors.append(_parse(path.name, path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as error:
            problems.append(Problem("anchor", 0, f"anchor file {path.name}: {error}"))
    return anchors, problems


def retention_days() -> int:
    """The log retention the purge applies: the database's copy on PostgreSQL."""
    days = settings.AUDITLOG_RETENTION_DAYS
    if connection.vendor == "postgresql":
        stored = (
            RetentionSetting.objects.filter(key="AUDITLOG_RETENTION_DAYS")
            .values_list("value", flat=True)
            .first()
        )
        days = int(stored) if stored else 365
    return max(days, MINIMUM_RETENTION_DAYS)


def verify(
    model: type[ChainedLog], anchors: list[Anchor], now: datetime | None = None
) -> Iterator[Problem]:
    """Hold ``model``'s chain and purge checkpoints against every anchor."""
    table = model._meta.db_table
    pinned = [(a, h) for a in anchors for h in a.heads if h.table == table]
    if not pinned:
        return
    stored = dict(
        model._default_manager.filter(
            pk__in={head.last_id for _a, head in pinned}
        ).values_list("pk", "hash")
    )
    checkpoints = dict(
        PurgeCheckpoint.objects.filter(table=table).values_list("last_id", "last_hash")
    )
    purged_to = max(checkpoints, default=0)
    expired_before = (now or timezone.now()) - timedelta(days=retention_days())
    for anchor, head in pinned:
        where = f"the anchor {anchor.name}"
        row = head.last_id
        if row in stored:
            if stored[row] != head.hash:
                yield Problem(
                    "anchor",
                    row,
                    f"record {row}: its hash differs from {where}: the chain was rewritten",
                )
        elif row in checkpoints and checkpoints[row] != head.hash:
            yield Problem(
                "anchor",
                row,
                f"record {row}: the purge checkpoint's hash differs from {where}: "
                "the checkpoint is forged",
            )
        elif row > purged_to:
            yield Problem(
                "anchor",
                row,
                f"record {row}, named by {where}, is missing and no purge removed it: "
                "records were cut from the end of the chain",
            )
        elif head.row_at >= expired_before:
            yield Problem(
                "anchor",
                row,
                f"record {row}, named by {where}, was removed before its retention "
                f"ended: the purge checkpoint that covers it is forged",
            )
