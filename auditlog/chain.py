"""Hash chain over the append-only log tables (tamper evidence).

Every row stores ``prev_hash`` (the hash of the row before it, by id) and ``hash``, the
SHA-256 of ``prev_hash`` and the row's content. Writers append through ``append``,
which takes a per-table lock (a PostgreSQL advisory lock; SQLite's immediate
transactions already serialise writers), reads the last hash and chains the whole batch
before one bulk INSERT, so concurrent workers and bulk flushes keep one unbroken chain.
A retention purge removes only a prefix of the chain and leaves a ``PurgeCheckpoint``
holding the hash of the last row it removed; verification starts from there.
"""

import hashlib
import io
import json
import threading
import uuid
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction

from auditlog.models import GENESIS, ChainedLog, PurgeCheckpoint

_process_lock = threading.Lock()


# One encoder for the canonical JSON text: ``json.dumps`` with options builds a new
# encoder on every call.
_canonical_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode


def _canonical_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    if value.year >= 1000:
        # isoformat is several times faster than strftime and gives the same text.
        return value.isoformat(timespec="microseconds")[:26]
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _canonical(value: Any) -> str:
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        return _canonical_datetime(value)
    if isinstance(value, dict | list):
        return _canonical_json(value)
    return str(value)


# The canonical text by exact type, for the types rows are made of; others (and
# subclasses) go through ``_canonical``.
_CANONICAL_BY_TYPE: dict[type, Any] = {
    str: str,
    int: str,
    uuid.UUID: str,
    bool: lambda value: "t" if value else "f",
    datetime: _canonical_datetime,
    dict: _canonical_json,
    list: _canonical_json,
}


def row_hash(prev_hash: str, values: Sequence[Any], *, added_last: bool = False) -> str:
    """SHA-256 over the previous hash and the row's values, each prefixed by its length.

    The length prefixes make the encoding unambiguous: no choice of text in one
    column can imitate a different split between columns. With ``added_last`` the last
    value is a column added later (``ChainedLog.chain_added_field``): when empty it is
    left out, so rows written before it existed keep their hash. Only the last column
    may be left out, so the number of values still tells the two cases apart.
    """
    if added_last and values[-1] in (None, ""):
        values = values[:-1]
    return _hash_texts(
        prev_hash, [None if v is None else _canonical(v) for v in values]
    )


def _hash_texts(prev_hash: str, texts: Sequence[str | None]) -> str:
    parts = [prev_hash]
    for text in texts:
        # No length prefix starts with "~": NULL differs from every string.
        parts.append("~" if text is None else f"{len(text)}:{text}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def lock_table(model: type[ChainedLog]) -> None:
    """Serialise writers of ``model``'s chain until the end of the transaction."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(model._meta.db_table.encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def anchor(model: type[ChainedLog]) -> str:
    """The hash the chain of ``model`` starts from: genesis, or the last purged row's."""
    checkpoint = (
        PurgeCheckpoint.objects.filter(table=model._meta.db_table)
        .order_by("-last_id")
        .values_list("last_hash", flat=True)
        .first()
    )
    return checkpoint or GENESIS


def last_hash(model: type[ChainedLog]) -> str:
    last = model._default_manager.order_by("-id").values_list("hash", flat=True).first()
    return last or anchor(model)


@dataclass
class PreparedRows:
    """Rows of one model with everything but their place in the chain worked out.

    ``prepare`` does this before the chain lock is taken, so that concurrent writers
    hold the lock only for the hashing and the insert.
    """

    model: type[ChainedLog]
    rows: list[dict[str, Any]]
    # What follows ``prev_hash`` in each row's hash input (``_hash_texts``), encoded.
    bodies: list[bytes]
    # PostgreSQL: each row's COPY line up to the two hash columns. SQLite: parameters.
    cells: list[str]
    params: list[tuple]


def prepare(model: type[ChainedLog], rows: list[dict[str, Any]]) -> PreparedRows:
    """Canonical texts, hash inputs and COPY cells of ``rows`` (dicts of ``chain_fields``)."""
    if not rows:
        return PreparedRows(model, rows, [], [], [])
    fields: list[Any] = [model._meta.get_field(name) for name in model.chain_fields]
    defaults = [f.get_default() for f in fields]
    names = model.chain_fields
    postgres = connection.vendor == "postgresql"
    added = model.chain_added_field
    if added and names[-1] != added:
        raise ValueError(f"{added} must be the last of {model.__name__}.chain_fields")
    # The canonical text of a datetime is UTC without an offset; COPY is told so.
    suffix = ["+00" if isinstance(f, models.DateTimeField) else "" for f in fields]
    # Column by column: one value shared by the whole batch (its reception time, no
    # grant) is turned into text once.
    value_columns: list[list[Any]] = []
    piece_columns: list[list[str]] = []
    cell_columns: list[list[str]] = []
    by_type = _CANONICAL_BY_TYPE.get
    for name, default, end in zip(names, defaults, suffix, strict=True):
        values = [row.get(name, default) for row in rows]
        first = values[0]
        if all(v is first for v in values):
            text = None if first is None else _canonical(first)
            texts = [text] * len(values)
        else:
            texts = [
                None if v is None else (by_type(type(v)) or _canonical)(v)
                for v in values
            ]
        value_columns.append(values)
        # The same text as ``_hash_texts`` after the previous hash.
        if name == added:
            piece_columns.append([f"|{len(t)}:{t}" if t else "" for t in texts])
        else:
            piece_columns.append(
                ["|~" if t is None else f"|{len(t)}:{t}" for t in texts]
            )
        if postgres:
            every = "".join([t for t in texts if t is not None])
            if "\\" in every or "\t" in every or "\n" in every or "\r" in every:
                cells = ["\\N" if t is None else _copy_escape(t) + end for t in texts]
            else:
                # Nothing to escape (the usual case).
                cells = ["\\N" if t is None else t + end for t in texts]
            cell_columns.append(cells)
    bodies = ["".join(pieces).encode() for pieces in zip(*piece_columns, strict=True)]
    lines = (
        ["\t".join(cells) for cells in zip(*cell_columns, strict=True)]
        if postgres
        else []
    )
    params = [] if postgres else list(zip(*value_columns, strict=True))
    return PreparedRows(model, rows, bodies, lines, params)


def append(
    model: type[ChainedLog], rows: "list[dict[str, Any]] | PreparedRows"
) -> list[dict[str, Any]]:
    """Chain ``rows`` (dicts of ``chain_fields``, or ``prepare``d) after the last stored row and insert them.

    Rows go in with COPY (PostgreSQL) or one executemany (SQLite), without building
    model instances: the flush of a busy second costs milliseconds.
    """
    batch = rows if isinstance(rows, PreparedRows) else prepare(model, rows)
    if batch.model is not model:
        raise ValueError("rows prepared for another model")
    if not batch.rows:
        return batch.rows
    sha256 = hashlib.sha256
    with _process_lock, transaction.atomic():
        lock_table(model)
        prev = last_hash(model)
        hashes = []
        for row, body in zip(batch.rows, batch.bodies, strict=True):
            row["prev_hash"] = prev
            row["hash"] = prev = sha256(prev.encode() + body).hexdigest()
            hashes.append(prev)
        fields: list[Any] = [model._meta.get_field(n) for n in model.chain_fields]
        if batch.cells:
            prevs = [batch.rows[0]["prev_hash"], *hashes[:-1]]
            text = "".join(
                [
                    f"{cells}\t{before}\t{after}\n"
                    for cells, before, after in zip(
                        batch.cells, prevs, hashes, strict=True
                    )
                ]
            )
            _copy(model, fields, text)
        else:
            _insert(
                model,
                fields,
                [
                    (*values, row["prev_hash"], row["hash"])
                    for values, row in zip(batch.params, batch.rows, strict=True)
                ],
            )
    return batch.rows


def _copy_escape(text: str) -> str:
    """A value in COPY's text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _columns(model: type[ChainedLog], fields: list[Any]) -> tuple[str, str]:
    quote = connection.ops.quote_name
    names = ", ".join(
        quote(c) for c in [*(f.column for f in fields), "prev_hash", "hash"]
    )
    return quote(model._meta.db_table), names


def _copy(model: type[ChainedLog], fields: list[Any], text: str) -> None:
    # COPY is PostgreSQL's fastest way in; rows keep their order, so ids follow the chain.
    table, names = _columns(model, fields)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(
            f"COPY {table} ({names}) FROM STDIN", io.StringIO(text)
        )


def _insert(model: type[ChainedLog], fields: list[Any], params: list[tuple]) -> None:
    table, names = _columns(model, fields)
    prepared = [
        (
            *(
                f.get_db_prep_save(v, connection)
                for f, v in zip(fields, row, strict=False)
            ),
            *row[len(fields) :],
        )
        for row in params
    ]
    marks = ", ".join(["%s"] * (len(fields) + 2))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepared)


@dataclass
class Problem:
    """One broken link found by ``verify``."""

    kind: str  # "changed", "removed" or "inserted"
    row_id: int
    message: str


def verify(model: type[ChainedLog], chunk_size: int = 5000) -> Iterator[Problem]:
    """Walk ``model``'s chain in id order and yield every changed, removed or inserted row."""
    fields = ("id", "prev_hash", "hash", *model.chain_fields)
    expected = anchor(model)
    added_last = bool(model.chain_added_field)
    recent: deque[tuple[str, int]] = deque(maxlen=1000)
    recent.append((expected, 0))
    rows = model._default_manager.order_by("id").values_list(*fields)
    for row in rows.iterator(chunk_size=chunk_size):
        row_id, prev_hash, stored, *values = row
        if row_hash(prev_hash, values, added_last=added_last) != stored:
            yield Problem(
                "changed", row_id, f"record {row_id}: content does not match its hash"
            )
        if prev_hash != expected:
            earlier = [rid for h, rid in recent if h == prev_hash]
            if earlier:
                # The row links to an older row: what lies between was slipped in.
                gap = [rid for h, rid in recent if rid > earlier[-1]]
                for rid in gap:
                    yield Problem(
                        "inserted", rid, f"record {rid}: inserted into the chain"
                    )
            else:
                yield Problem(
                    "removed",
                    row_id,
                    f"record(s) removed or rewritten just before record {row_id}",
                )
        expected = stored
        recent.append((stored, row_id))
