"""Gapless numbers: one series per kind of document and Buddhist-era year (Revenue Code s.86/4).

A document is written first, frozen but unnumbered ("pending": still a draft, with its
issue time set), and numbered afterwards. Numbering takes the series' lock, then one
statement numbers every pending document of the series in the order they were issued
(``issued_at``, then id) and adds their count to the counter row. The lock is held from
that statement to its commit: a rolled-back numbering gives its numbers back, two
numberings never share one, so the series stays gapless.

Two ways to number:

* :func:`number_in_transaction` inside the caller's transaction (a payment and its
  receipt, a note, a replacement, an admin draft): the lock is held until the caller
  commits, as the rest of that transaction must stand or fall with the number.
* :func:`await_number` (PostgreSQL, outside any transaction) for a document whose own
  statement already committed it pending: the first issuer to *try* the lock numbers
  everything pending in the series, so issuers that committed meanwhile share one lock
  hold and one commit (group commit); the others wait for that commit together (a
  shared lock taken and given back) and then read their number, writing nothing, so
  their commits wait for no disk flush.

The series lock is a transaction-level advisory lock per kind and year (PostgreSQL);
SQLite serialises writers by itself. A pending document is not issued: no customer page,
API listing or PDF shows it (``Document.objects.issued()``), and whoever renders it
numbers it first (services.render_document_pdf), so a crash between the write and the
number leaves neither a gap nor an unnumbered issued document.
"""

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Field
from django.tasks import Task

from billing.models import Document, DocumentLine, NumberSeries, VatRate
from onespace.thaidates import BE_OFFSET, buddhist_year

# pg_advisory_xact_lock(NUMBERING_LOCK, <kind and year>): the first key is this module's.
NUMBERING_LOCK = 0x0B11
_KIND_CODES = {kind: code for code, kind in enumerate(Document.Kind, start=1)}
_LINE_FIELDS = ("position", "description", "quantity", "unit_price")


def is_pending(document: Document) -> bool:
    """Written frozen for issue and waiting for its number."""
    return document.status == Document.Status.DRAFT and document.issued_at is not None


def insert_pending(
    document: Document,
    lines: Sequence[DocumentLine],
    *,
    render_task: Task | None = None,
    check_rate: bool = False,
) -> bool:
    """Write the unsaved, frozen ``document`` (``issued_at`` set) and its ``lines``, unnumbered.

    With ``render_task`` (PostgreSQL, outside a transaction, django-tasks-db's backend) the
    same statement also queues ``render_task(document.pk)``; outside a transaction it
    commits by itself without waiting for the disk (see :func:`await_number`): one round
    trip. With ``check_rate`` (PostgreSQL) the statement writes nothing and this returns
    False unless ``document.vat_rate`` is the rate in force on ``issued_on``.
    """
    assert document.issued_at is not None
    assert document.issued_on is not None
    document.status = Document.Status.DRAFT
    if connection.vendor == "postgresql":
        return _insert_with_lines(document, lines, render_task, check_rate=check_rate)
    document.save()
    for position, line in enumerate(lines):
        line.document = document
        line.position = position
    DocumentLine.objects.bulk_create(lines)
    return True


def queues_in_insert(task: Task) -> bool:
    """Whether :func:`insert_pending` can write ``task``'s queue row in its own statement."""
    from django_tasks_db.backend import DatabaseBackend

    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and isinstance(task.get_backend(), DatabaseBackend)
    )


def issue_new(document: Document, lines: Sequence[DocumentLine]) -> None:
    """Write the unsaved, frozen ``document`` and its ``lines``, then number it in this transaction."""
    insert_pending(document, lines)
    number_in_transaction(document)


def number_draft(document: Document) -> None:
    """Number the saved, frozen draft ``document`` in the caller's transaction."""
    number_in_transaction(document)


def number_in_transaction(document: Document) -> None:
    """Number ``document`` (pending in this transaction) and every pending one of its series.

    The series lock stays held until the caller's transaction ends.
    """
    assert connection.in_atomic_block, "number inside the issuing transaction"
    if connection.vendor == "postgresql":
        _mark_issued(document, _lock_and_number(document))
    else:
        _mark_issued(document, _number_one_sqlite(document))


def await_number(document: Document) -> None:
    """Give the committed pending ``document`` its number in a short transaction of its own.

    Returns once the number is committed; numbers every pending document of the series
    on the way (those of parallel issuers, or of one that stopped after writing). On
    PostgreSQL each attempt is one statement (see :func:`_lock_and_number`).
    """
    if connection.in_atomic_block or connection.vendor != "postgresql":
        with transaction.atomic():
            number_in_transaction(document)
        return
    _mark_issued(document, _lock_and_number(document, in_transaction=False))


def number_pending(document: Document) -> None:
    """Number a pending ``document`` in the caller's transaction, or in its own outside one."""
    if connection.in_atomic_block:
        number_in_transaction(document)
    else:
        await_number(document)


def _mark_issued(document: Document, number: str) -> None:
    document.number = number
    document.status = Document.Status.ISSUED
    document._loaded_status = document.status


def _series(document: Document) -> tuple[int, str]:
    assert document.issued_on is not None
    year = buddhist_year(document.issued_on)
    return year, f"{Document.PREFIXES[Document.Kind(document.kind)]}{year}-"


def _create_series(document: Document) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: the first issuer of a year creates the row
    # without racing others into an IntegrityError.
    year, _prefix = _series(document)
    NumberSeries.objects.bulk_create(
        [NumberSeries(kind=document.kind, year=year, last_number=0)],
        ignore_conflicts=True,
    )


# One statement: become the series' numberer (``{take}``), lock the series' pending rows,
# count them onto the counter, number them in issue order. The counter moves by exactly
# the rows that were locked and numbered, so a pending draft deleted meanwhile leaves no
# gap. Rows an earlier numberer changed after this statement's snapshot are re-read by
# FOR UPDATE (READ COMMITTED) and drop out, so nothing is numbered twice. The last
# SELECT gives this document's number, new or (numbered earlier) old.
_NUMBER_SERIES = """
WITH leader AS MATERIALIZED (
    SELECT {take} AS won, set_config('synchronous_commit', 'on', true)
), pending AS MATERIALIZED (
    SELECT id, issued_at FROM {documents}
    WHERE kind = %(kind)s AND status = 'draft' AND issued_at IS NOT NULL
      AND issued_on BETWEEN %(first_day)s AND %(last_day)s
      AND (SELECT won FROM leader)
    ORDER BY issued_at, id
    FOR UPDATE
), ordered AS (
    SELECT id, row_number() OVER (ORDER BY issued_at, id) AS n FROM pending
), taken AS (
    UPDATE {series} SET last_number = last_number + (SELECT count(*) FROM pending)
    WHERE kind = %(kind)s AND year = %(year)s AND EXISTS (SELECT 1 FROM pending)
    RETURNING last_number - (SELECT count(*) FROM pending) AS base
), numbered AS (
    UPDATE {documents} AS document SET status = %(issued)s, number = %(prefix)s || CASE
        WHEN taken.base + ordered.n < 1000000
        THEN lpad((taken.base + ordered.n)::text, 6, '0')
        ELSE (taken.base + ordered.n)::text END
    FROM ordered, taken WHERE document.id = ordered.id
    RETURNING document.id, document.number
)
SELECT
    (SELECT number FROM numbered WHERE id = %(id)s),
    (SELECT number FROM {documents} WHERE id = %(id)s),
    (SELECT count(*) FROM pending),
    (SELECT count(*) FROM taken),
    (SELECT won FROM leader)
"""

# In a transaction: wait for the series lock (held to the caller's commit), then number.
_LOCK = "SELECT pg_advisory_xact_lock(%(lock)s, %(key)s);\n"
# Outside one: become the numberer only if nobody is (try), ...
_TRY = "pg_try_advisory_xact_lock(%(lock)s, %(key)s)"
# ... else wait until the numberer commits (every waiter wakes at once: a shared lock
# taken and given back at once) and look again.
_WAIT = (
    "SELECT pg_advisory_lock_shared(%(lock)s, %(key)s), "
    "pg_advisory_unlock_shared(%(lock)s, %(key)s);\n"
)
# Enough for any queue of issuers; a document deleted while pending ends here.
_ATTEMPTS = 1000


def _lock_and_number(document: Document, *, in_transaction: bool = True) -> str:
    """PostgreSQL: number the series' pending documents under the series lock, return this one's.

    In a transaction the lock is waited for and kept to the caller's commit. Outside
    one, each attempt is one round trip whose statements run as one implicit
    transaction: the first issuer to try becomes the numberer for everyone pending
    and commits (the one disk flush of the batch); the others wait for that commit
    together, then find their number or try again.
    """
    quote = connection.ops.quote_name
    year, prefix = _series(document)
    params: dict[str, Any] = {
        "lock": NUMBERING_LOCK,
        "key": year * 16 + _KIND_CODES[Document.Kind(document.kind)],
        "kind": document.kind,
        "year": year,
        "first_day": datetime.date(year - BE_OFFSET, 1, 1),
        "last_day": datetime.date(year - BE_OFFSET, 12, 31),
        "issued": Document.Status.ISSUED.value,
        "prefix": prefix,
        "id": document.pk,
    }
    tables = {
        "documents": quote(Document._meta.db_table),
        "series": quote(NumberSeries._meta.db_table),
    }
    if in_transaction:
        first = later = _LOCK + _NUMBER_SERIES.format(take="true", **tables)
    else:
        first = _NUMBER_SERIES.format(take=_TRY, **tables)
        later = _WAIT + first
    statement = first
    for _attempt in range(_ATTEMPTS):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            new, old, pending, taken, won = cursor.fetchone()
        if won and pending and not taken:
            _create_series(document)  # the year's first document of this kind
            statement = first
            continue
        number = new or old
        if number is not None:
            return str(number)
        if won and in_transaction:
            raise RuntimeError(f"Document {document.pk} is neither pending nor issued.")
        # Another numberer held the series (or numbered this one after our snapshot).
        statement = first if won else later
    raise RuntimeError(f"Document {document.pk} got no number.")


def _number_one_sqlite(document: Document) -> str:
    """SQLite (one writer at a time): the counter, then this document."""
    series = connection.ops.quote_name(NumberSeries._meta.db_table)
    year, prefix = _series(document)
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {series} SET last_number = last_number + 1 "
                "WHERE kind = %s AND year = %s RETURNING last_number",
                [document.kind, year],
            )
            row = cursor.fetchone()
        if row is None:
            _create_series(document)
            continue
        number = f"{prefix}{row[0]:06d}"
        Document.objects.filter(pk=document.pk).update(
            status=Document.Status.ISSUED, number=number
        )
        return number
    raise RuntimeError(f"No number series for {document.kind}.")


def _insert_with_lines(
    document: Document,
    lines: Sequence[DocumentLine],
    render_task: Task | None,
    *,
    check_rate: bool,
) -> bool:
    """PostgreSQL: the document row, its lines (and its render task) in one statement."""
    quote = connection.ops.quote_name
    fields = [
        field for field in Document._meta.local_concrete_fields if not field.primary_key
    ]
    values = [
        field.get_db_prep_save(field.pre_save(document, add=True), connection)
        for field in fields
    ]
    condition, condition_values = "", []
    if check_rate:
        # The rate the amounts were computed with must be the one in force that day
        # (VatRate.objects.in_force_on), read in this statement's snapshot.
        condition = f"""WHERE EXISTS (
                    SELECT 1 FROM (
                        SELECT rate FROM {quote(VatRate._meta.db_table)}
                        WHERE valid_from <= %s AND (valid_until IS NULL OR valid_until >= %s)
                        ORDER BY valid_from DESC LIMIT 1
                    ) AS in_force WHERE in_force.rate = %s)"""
        condition_values = [document.issued_on, document.issued_on, document.vat_rate]
    document_row = ", ".join(f"%s::{_cast(field)}" for field in fields)
    row = "(" + ", ".join(f"%s::{_line_cast(name)}" for name in _LINE_FIELDS) + ")"
    line_values = [
        value
        for position, line in enumerate(lines)
        for value in (position, line.description, line.quantity, line.unit_price)
    ]
    queued, task_values, task_row = "", list[Any](), None
    if render_task is not None:
        queued, task_values, task_row = _queue_row(render_task)
    # A statement of its own (no transaction around it) commits without waiting for the
    # disk: nobody learns of a pending row before await_number's commit flushes it.
    unflushed = not connection.in_atomic_block
    if unflushed:
        queued += """, unflushed AS MATERIALIZED (
                SELECT set_config('synchronous_commit', 'off', true)
            )"""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH created AS (
                INSERT INTO {quote(Document._meta.db_table)}
                    ({", ".join(quote(field.attname) for field in fields)})
                SELECT {document_row} {condition}
                RETURNING id
            ), added AS (
                INSERT INTO {quote(DocumentLine._meta.db_table)}
                    ({quote("document_id")}, {", ".join(quote(name) for name in _LINE_FIELDS)})
                SELECT created.id, line.* FROM created,
                    (VALUES {", ".join([row] * len(lines))}) AS line
            ){queued}
            SELECT id FROM created{", unflushed" if unflushed else ""}
            """,
            [*values, *condition_values, *line_values, *task_values],
        )
        created = cursor.fetchone()
    if created is None:
        return False
    (document.pk,) = created
    document._state.adding = False
    document._state.db = connection.alias
    if task_row is not None:
        from django.tasks.signals import task_enqueued

        task_row.args_kwargs = {"args": [document.pk], "kwargs": {}}
        task_enqueued.send(
            type(task_row.task.get_backend()), task_result=task_row.task_result
        )
    return True


def _queue_row(task: Task) -> tuple[str, list[Any], Any]:
    """CTEs that queue ``task(<the new document's id>)`` as django-tasks-db's enqueue would.

    The row is django-tasks-db's model built as its backend builds it, with its fields'
    own defaults and pre_save signal (run_after); only its arguments come from the
    statement. Writing it here saves a statement and a commit per document.
    """
    from django.db.models.signals import pre_save
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
    assert isinstance(backend, DatabaseBackend)
    row: Any = DBTaskResult(
        id=backend._get_id(),
        args_kwargs={},
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,  # type: ignore[misc]  # None: pre_save sets the max
        backend_name=backend.alias,
    )
    pre_save.send(
        sender=DBTaskResult,
        instance=row,
        raw=False,
        using=connection.alias,
        update_fields=None,
    )
    quote = connection.ops.quote_name
    columns, values, slots = [], [], []
    for field in DBTaskResult._meta.local_concrete_fields:
        columns.append(quote(str(field.column)))
        if field.name == "args_kwargs":
            slots.append(
                "jsonb_build_object('args', jsonb_build_array(created.id), "
                "'kwargs', '{}'::jsonb)"
            )
            continue
        values.append(field.get_db_prep_save(field.pre_save(row, add=True), connection))
        slots.append(f"%s::{_cast(field)}")
    sql = f""", queued AS (
                INSERT INTO {quote(DBTaskResult._meta.db_table)} ({", ".join(columns)})
                SELECT {", ".join(slots)} FROM created
            )"""
    return sql, values, row


def _line_cast(name: str) -> str:
    field = DocumentLine._meta.get_field(name)
    assert isinstance(field, Field)
    return _cast(field)


def _cast(field: Field) -> str:
    """The column's type, to cast an untyped parameter (INSERT ... SELECT)."""
    return str(field.cast_db_type(connection))
