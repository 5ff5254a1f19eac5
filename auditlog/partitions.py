"""The three log tables partitioned by month on PostgreSQL (issue 15); SQLite is unchanged.

Each log table is declaratively partitioned by range on the column its retention runs
from (``occurred_at``; ``received_at`` for node events): one partition per calendar month
in UTC, named ``<table>_pYYYYMM``, and a ``<table>_default`` partition as the safety net,
so an insert never fails for lack of a partition. The daily maintenance creates the
partitions of the coming ``MONTHS_AHEAD`` months (``auditlog_create_partitions()``, a
SECURITY DEFINER function of the owner: the runtime role may not create tables). A month
created while the default partition holds some of its rows takes them over.

Plain native partitioning and these few functions rather than pg_partman: the project
needs monthly ranges created ahead and expired ones dropped *inside* the owner's purge
function (under the chain lock, leaving a checkpoint, vetoed by legal holds), which
pg_partman's own retention job would do outside it; one more extension to install and
upgrade on every database host buys nothing else here.

The primary key of a partitioned table must include the partition key, so it is
``(id, <time column>)`` in the database while Django still sees ``id``: ids come from one
identity sequence and stay unique. The unique ``event_id`` of node events cannot be a
unique index either; a statement-level AFTER INSERT trigger refuses a batch that repeats an
event id with the same ``unique_violation`` the index raised (writers are serialised by the
chain lock, so the check cannot race), and the API's retry path is unchanged.

``partition_table`` turns an existing unpartitioned table into a partitioned one while the
portal runs (``manage.py partition_logs``): it builds ``<table>_partitioned``, copies the
rows in batches of short transactions, then, holding the chain lock for a moment, copies
the last rows and swaps the names. The old table stays as ``<table>_unpartitioned`` until
the operator drops it. Migration 0005 does the same at once for a table with no rows yet. Every trigger of the
old table is carried over (those that fire on INSERT only at the swap, so that copied rows
do not fire them twice).
"""

import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

# The three log tables and their partition key (also the column retention runs from).
LOGS = {
    "auditlog_accesslog": "occurred_at",
    "auditlog_securityevent": "occurred_at",
    "auditlog_nodeevent": "received_at",
}
NAMES = {
    "access": "auditlog_accesslog",
    "security": "auditlog_securityevent",
    "node": "auditlog_nodeevent",
}
MONTHS_AHEAD = 3
# Months kept as partitions of their own behind the retention when a table is converted;
# older rows (expired already) go to the default partition and are deleted row by row.
MONTHS_BEHIND_RETENTION = 1

DEDUPE_TRIGGER = (
    "CREATE TRIGGER auditlog_nodeevent_unique_event AFTER INSERT ON auditlog_nodeevent "
    "REFERENCING NEW TABLE AS inserted "
    "FOR EACH STATEMENT EXECUTE FUNCTION auditlog_nodeevent_unique_event()"
)
# The dashboard's per-day counts (migration auditlog.0006): every row copied into the
# shadow was counted when it reached the old table, so the trigger goes on the new
# table at the swap (``copy_triggers`` carries every INSERT trigger over there), not on
# the shadow during the copy. The definitions, for tests that rebuild an old table.
COUNT_TRIGGERS = {
    "auditlog_securityevent": (
        "CREATE TRIGGER auditlog_securityevent_count AFTER INSERT ON "
        "auditlog_securityevent REFERENCING NEW TABLE AS added "
        "FOR EACH STATEMENT EXECUTE FUNCTION auditlog_count_security()"
    ),
    "auditlog_nodeevent": (
        "CREATE TRIGGER auditlog_nodeevent_count AFTER INSERT ON auditlog_nodeevent "
        "REFERENCING NEW TABLE AS added "
        "FOR EACH STATEMENT EXECUTE FUNCTION auditlog_count_node()"
    ),
}


@dataclass(frozen=True)
class Partition:
    """One partition of a log table; the default partition has no bounds."""

    name: str
    lower: datetime | None
    upper: datetime | None


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [table]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def partitions(table: str) -> list[Partition]:
    """The partitions of ``table`` by their lower bound, the default one last."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT part::text, lower, upper FROM auditlog_partitions(%s)", [table]
        )
        return [Partition(*row) for row in cursor.fetchall()]


def ensure_partitions(months_ahead: int = MONTHS_AHEAD) -> dict[str, int]:
    """Create this month's and the next ``months_ahead`` months' partitions where missing."""
    created: dict[str, int] = {}
    if connection.vendor != "postgresql":
        return created
    with connection.cursor() as cursor:
        for table in LOGS:
            cursor.execute(
                "SELECT auditlog_create_partitions(%s, %s)", [table, months_ahead]
            )
            created[table] = int(cursor.fetchone()[0])
    return created


# --- Converting an unpartitioned table (migration 0005, manage.py partition_logs) ---------


def shadow_name(table: str) -> str:
    return f"{table}_partitioned"


def old_name(table: str) -> str:
    return f"{table}_unpartitioned"


def _exists(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


def _columns(cursor: CursorWrapper, table: str) -> str:
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    return str(cursor.fetchone()[0])


def _indexes(cursor: CursorWrapper, table: str) -> list[tuple[str, str, bool]]:
    """(name, definition, is primary key) of every index of ``table``."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = to_regclass(%s) ORDER BY c.relname",
        [table],
    )
    return list(cursor.fetchall())


def _temporary(name: str) -> str:
    return f"{name[:58]}_part"


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def create_shadow(
    cursor: CursorWrapper, table: str, *, months_ahead: int = MONTHS_AHEAD
) -> str:
    """Create ``<table>_partitioned`` beside ``table``: same columns, checks and indexes,
    partitioned by month, with partitions from the oldest row worth one (never earlier
    than a month behind the retention) to ``months_ahead`` months from now."""
    shadow = shadow_name(table)
    if _exists(cursor, shadow):
        return shadow
    column = LOGS[table]
    q = connection.ops.quote_name
    cursor.execute(
        f"CREATE TABLE {q(shadow)} (LIKE {q(table)} INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS) "
        f"PARTITION BY RANGE ({q(column)})"
    )
    cursor.execute(
        f"ALTER TABLE {q(shadow)} ADD CONSTRAINT {q(shadow + '_pkey')} "
        f"PRIMARY KEY (id, {q(column)})"
    )
    for name, definition, primary in _indexes(cursor, table):
        if primary:
            continue
        match = re.match(
            r"CREATE (?:UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ (USING .*)$", definition
        )
        if not match:
            raise ValueError(f"cannot copy index {name}: {definition}")
        # A unique index must include the partition key: event_id's uniqueness is kept
        # by the trigger the swap adds (auditlog_nodeevent_unique_event).
        cursor.execute(
            f"CREATE INDEX {q(_temporary(name))} ON {q(shadow)} {match.group(1)}"
        )
    # The guards now; triggers that fire on INSERT (counts) only at the swap, so that
    # the copied rows do not fire them a second time.
    copy_triggers(cursor, table, shadow, on_insert=False)
    cursor.execute("SELECT auditlog_add_default_partition(%s, %s)", [shadow, table])
    cursor.execute(
        "SELECT (now() AT TIME ZONE 'UTC')::date, "
        "(now() AT TIME ZONE 'UTC' - make_interval(days => %s))::date",
        [_retention_days(cursor)],
    )
    today, cutoff = cursor.fetchone()
    cursor.execute(
        f"SELECT (min({q(column)}) AT TIME ZONE 'UTC')::date FROM {q(table)}"
    )
    oldest = cursor.fetchone()[0] or today
    this_month = today.replace(day=1)
    first = max(
        oldest.replace(day=1),
        add_months(cutoff.replace(day=1), -MONTHS_BEHIND_RETENTION),
    )
    month = min(first, this_month)
    while month <= add_months(this_month, months_ahead):
        cursor.execute(
            "SELECT auditlog_add_partition(%s, %s, %s, %s)",
            [shadow, table, column, month],
        )
        month = add_months(month, 1)
    return shadow


def _retention_days(cursor: CursorWrapper) -> int:
    cursor.execute(
        "SELECT value FROM policy_retentionsetting WHERE key = 'AUDITLOG_RETENTION_DAYS'"
    )
    row = cursor.fetchone()
    return max(int(row[0]) if row else 365, 90)


def copy_triggers(
    cursor: CursorWrapper, source: str, target: str, *, on_insert: bool
) -> None:
    """Create on ``target`` the triggers of ``source`` that fire (or not) on INSERT."""
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
        "AND NOT tgisinternal AND tgparentid = 0 AND (tgtype & 4 <> 0) = %s "
        "ORDER BY tgname",
        [source, on_insert],
    )
    for (definition,) in cursor.fetchall():
        match = re.match(r"(CREATE TRIGGER \S+ .*? ON )\S+( .*)$", definition)
        if not match:
            raise ValueError(f"cannot copy trigger: {definition}")
        cursor.execute(
            match.group(1) + connection.ops.quote_name(target) + match.group(2)
        )


def _purged_to(cursor: CursorWrapper, table: str) -> int:
    cursor.execute(
        'SELECT coalesce(max(last_id), 0) FROM auditlog_purgecheckpoint WHERE "table" = %s',
        [table],
    )
    return int(cursor.fetchone()[0])


def copy_batch(cursor: CursorWrapper, table: str, batch_size: int | None) -> int:
    """Copy the next ``batch_size`` rows (all when None) of ``table`` into its shadow."""
    q = connection.ops.quote_name
    shadow = shadow_name(table)
    cursor.execute(f"SELECT max(id) FROM {q(shadow)}")
    copied = cursor.fetchone()[0] or 0
    # Rows a purge removed meanwhile are not copied again.
    start = max(copied, _purged_to(cursor, table))
    columns = _columns(cursor, table)
    limit = "" if batch_size is None else f" LIMIT {int(batch_size)}"
    cursor.execute(
        f"INSERT INTO {q(shadow)} ({columns}) SELECT {columns} FROM {q(table)} "
        f"WHERE id > %s ORDER BY id{limit}",
        [start],
    )
    return cursor.rowcount


def swap(cursor: CursorWrapper, table: str) -> int:
    """Copy the last rows and put the shadow in ``table``'s place (one transaction).

    The chain lock and an EXCLUSIVE table lock keep every writer out meanwhile
    (readers go on); they then append to the partitioned table, after the same last hash.
    """
    q = connection.ops.quote_name
    shadow, old = shadow_name(table), old_name(table)
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(table.encode())])
    cursor.execute(f"LOCK TABLE {q(table)} IN EXCLUSIVE MODE")
    last_rows = copy_batch(cursor, table, None)
    # A purge that ran during the copy removed rows the shadow already had.
    cursor.execute("SELECT set_config('onespace.purge', 'on', true)")
    cursor.execute(
        f"DELETE FROM {q(shadow)} WHERE id <= %s", [_purged_to(cursor, table)]
    )
    cursor.execute("SELECT set_config('onespace.purge', 'off', true)")
    old_sequence = _sequence(cursor, table)
    renamed = {}
    for name, _definition, _primary in _indexes(cursor, table):
        cursor.execute(f"ALTER INDEX {q(name)} RENAME TO {q(name[:56] + '_unpart')}")
        renamed[_temporary(name)] = name
    cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
    cursor.execute(f"ALTER SEQUENCE {old_sequence} RENAME TO {q(old + '_id_seq')}")
    cursor.execute(f"ALTER TABLE {q(shadow)} RENAME TO {q(table)}")
    cursor.execute(
        f"ALTER TABLE {q(table)} RENAME CONSTRAINT {q(shadow + '_pkey')} "
        f"TO {q(table + '_pkey')}"
    )
    for name, _definition, _primary in _indexes(cursor, table):
        if name in renamed:
            cursor.execute(f"ALTER INDEX {q(name)} RENAME TO {q(renamed[name])}")
    new_sequence = _sequence(cursor, table)
    cursor.execute(
        f"SELECT setval(%s, last_value, is_called) FROM {q(old + '_id_seq')}",
        [new_sequence],
    )
    cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {q(table + '_id_seq')}")
    copy_triggers(cursor, old, table, on_insert=True)
    if table == "auditlog_nodeevent":
        cursor.execute(DEDUPE_TRIGGER)
    # The application writes to the new table only.
    cursor.execute(
        "SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' "
        "ELSE quote_ident(pg_get_userbyid(acl.grantee)) END "
        "FROM pg_class c, aclexplode(c.relacl) acl "
        "WHERE c.oid = to_regclass(%s) AND acl.grantee <> c.relowner",
        [old],
    )
    for (grantee,) in cursor.fetchall():
        cursor.execute(f"REVOKE ALL ON {q(old)} FROM {grantee}")
    return last_rows


def _sequence(cursor: CursorWrapper, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return str(cursor.fetchone()[0])


def partition_table(
    table: str,
    *,
    batch_size: int = 10_000,
    pause: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Turn ``table`` into a partitioned table while the portal writes to it; return rows copied.

    Resumable: a run stopped halfway goes on from the shadow's last row. Run as the
    owner role. The old table is kept as ``<table>_unpartitioned``.
    """
    from onespace import db_roles

    if is_partitioned(table):
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        create_shadow(cursor, table)
    copied = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            count = copy_batch(cursor, table, batch_size)
        copied += count
        if progress:
            progress(copied)
        if count < batch_size:
            break
        if pause:
            time.sleep(pause)
    with transaction.atomic(), connection.cursor() as cursor:
        copied += swap(cursor, table)
    db_roles.restrict_runtime(connection)
    return copied


def drop_old(table: str) -> bool:
    """Drop the ``<table>_unpartitioned`` a conversion left; True when there was one."""
    with connection.cursor() as cursor:
        if not _exists(cursor, old_name(table)):
            return False
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(old_name(table))}")
    return True


def convert_empty(cursor: CursorWrapper, table: str) -> bool:
    """Migration 0005: partition ``table`` at once when it has no rows; False otherwise."""
    q = connection.ops.quote_name
    if is_partitioned(table):
        return True
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {q(table)})")
    if cursor.fetchone()[0]:
        return False
    create_shadow(cursor, table)
    swap(cursor, table)
    cursor.execute(f"DROP TABLE {q(old_name(table))}")
    return True
