"""Gapless numbers: one series per kind of document and Buddhist-era year (Revenue Code s.86/4).

The statement that takes a number locks the series' counter row, and the row stays locked
until the issuing transaction commits: a rolled-back issue gives its number back and two
issuers never share one. So the number is taken last, in as few statements as possible. On
PostgreSQL a new document is two statements: one writes the row and its lines (still a
draft, so the line trigger lets them in), the last takes the number and marks the row
issued; the lock is held for that statement and the commit only.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field

from billing.models import Document, DocumentLine, NumberSeries
from onespace.thaidates import buddhist_year

# The counter's next value as six digits (more when a year ever passes 999999).
_NUMBER = """%s || CASE WHEN taken.last_number < 1000000
    THEN lpad(taken.last_number::text, 6, '0') ELSE taken.last_number::text END"""
_LINE_FIELDS = ("position", "description", "quantity", "unit_price")


def issue_new(document: Document, lines: Sequence[DocumentLine]) -> None:
    """Write the unsaved, frozen ``document`` and its ``lines``, then number and issue it."""
    document.status = Document.Status.DRAFT
    if connection.vendor == "postgresql":
        _insert_with_lines(document, lines)
    else:
        document.save()
        for position, line in enumerate(lines):
            line.document = document
            line.position = position
        DocumentLine.objects.bulk_create(lines)
    number_draft(document)


def number_draft(document: Document) -> None:
    """Give the saved draft ``document`` its number and mark it issued: one statement on PostgreSQL."""
    for _attempt in range(2):
        number = _take_and_mark(document)
        if number is not None:
            document.number = number
            document.status = Document.Status.ISSUED
            document._loaded_status = document.status
            return
        _create_series(document)
    raise RuntimeError(f"No number series for {document.kind}.")


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


def _insert_with_lines(document: Document, lines: Sequence[DocumentLine]) -> None:
    """PostgreSQL: the document row and its lines in one statement."""
    quote = connection.ops.quote_name
    fields = [
        field for field in Document._meta.local_concrete_fields if not field.primary_key
    ]
    values = [
        field.get_db_prep_save(field.pre_save(document, add=True), connection)
        for field in fields
    ]
    casts = [_line_cast(name) for name in _LINE_FIELDS]
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    line_values = [
        value
        for position, line in enumerate(lines)
        for value in (position, line.description, line.quantity, line.unit_price)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH created AS (
                INSERT INTO {quote(Document._meta.db_table)}
                    ({", ".join(quote(field.attname) for field in fields)})
                VALUES ({", ".join(["%s"] * len(values))})
                RETURNING id
            ), added AS (
                INSERT INTO {quote(DocumentLine._meta.db_table)}
                    ({quote("document_id")}, {", ".join(quote(name) for name in _LINE_FIELDS)})
                SELECT created.id, line.* FROM created,
                    (VALUES {", ".join([row] * len(lines))}) AS line
            )
            SELECT id FROM created
            """,
            [*values, *line_values],
        )
        (document.pk,) = cursor.fetchone()
    document._state.adding = False
    document._state.db = connection.alias


def _line_cast(name: str) -> str:
    field = DocumentLine._meta.get_field(name)
    assert isinstance(field, Field)
    return str(field.cast_db_type(connection))


def _take_and_mark(document: Document) -> str | None:
    quote = connection.ops.quote_name
    series = quote(NumberSeries._meta.db_table)
    documents = quote(Document._meta.db_table)
    year, prefix = _series(document)
    issued = Document.Status.ISSUED.value
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH taken AS (
                    UPDATE {series} SET last_number = last_number + 1
                    WHERE kind = %s AND year = %s RETURNING last_number
                )
                UPDATE {documents} SET status = %s, number = {_NUMBER}
                FROM taken WHERE {documents}.id = %s
                RETURNING {documents}.number
                """,
                [document.kind, year, issued, prefix, document.pk],
            )
            row = cursor.fetchone()
            return None if row is None else str(row[0])
        cursor.execute(
            f"UPDATE {series} SET last_number = last_number + 1 "
            "WHERE kind = %s AND year = %s RETURNING last_number",
            [document.kind, year],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        number = f"{prefix}{row[0]:06d}"
        cursor.execute(
            f"UPDATE {documents} SET status = %s, number = %s WHERE id = %s",
            [issued, number, document.pk],
        )
        return number
