"""Only the owner's retention purge removes log rows, and only those past retention (issue 11).

PostgreSQL only. Before this, any role could ``SET LOCAL onespace.purge = 'on'`` and
delete any row, insert a purge checkpoint, or ``TRUNCATE`` a log table. Now:

* the row guard lets a DELETE through only inside the owner's ``auditlog_purge()``
  (``onespace_in_purge``: the flag *and* the owner's identity);
* a purge checkpoint is inserted only by that function;
* ``TRUNCATE`` of the three log tables and the checkpoints is refused but for the owner;
* ``auditlog_purge(table)`` is SECURITY DEFINER: it takes no cutoff from its caller. It
  reads the retention from ``policy_retentionsetting`` (written by ``migrate``, never by
  the application), never goes below the 90 days of the Computer-related Crime Act s.26,
  counts with the database's clock, removes only the oldest prefix of the chain and
  leaves the checkpoint, under the same advisory lock as ``auditlog.chain.lock_table``.
"""

import zlib

from django.db import migrations

LOGS = {
    # table: the time the retention runs from
    "auditlog_accesslog": "occurred_at",
    "auditlog_securityevent": "occurred_at",
    "auditlog_nodeevent": "received_at",
}
TRUNCATE_GUARDED = (*LOGS, "auditlog_purgecheckpoint")

GUARDS = """
CREATE OR REPLACE FUNCTION auditlog_refuse_change() RETURNS trigger AS $$
BEGIN
    -- Only auditlog_purge(), the owner's function, deletes; the flag alone means nothing.
    IF TG_OP = 'DELETE' AND onespace_in_purge(TG_RELID) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'auditlog: % on % refused: log tables are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION auditlog_checkpoint_guard() RETURNS trigger AS $$
BEGIN
    IF NOT onespace_in_purge(TG_RELID) THEN
        RAISE EXCEPTION 'auditlog: purge checkpoints are written only by the retention purge'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER auditlog_purgecheckpoint_insert BEFORE INSERT ON auditlog_purgecheckpoint
    FOR EACH ROW EXECUTE FUNCTION auditlog_checkpoint_guard();
"""

PURGE = """
CREATE OR REPLACE FUNCTION auditlog_purge(log_table text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    time_column text := CASE log_table {time_columns} END;
    lock_key bigint := CASE log_table {lock_keys} END;
    days integer;
    keep_from bigint;
    last_id bigint;
    last_hash text;
    purged bigint;
BEGIN
    IF time_column IS NULL THEN
        RAISE EXCEPTION 'auditlog: % is not a log table', log_table;
    END IF;
    SELECT value::integer INTO days FROM policy_retentionsetting
        WHERE key = 'AUDITLOG_RETENTION_DAYS';
    -- Computer-related Crime Act s.26: traffic data is kept at least 90 days.
    days := greatest(coalesce(days, 365), 90);
    -- The same lock as auditlog.chain.lock_table: no writer appends meanwhile.
    PERFORM pg_advisory_xact_lock(lock_key);
    EXECUTE format('SELECT id FROM %I WHERE %I >= $1 ORDER BY id LIMIT 1', log_table, time_column)
        INTO keep_from USING now() - make_interval(days => days);
    -- Only a prefix of the chain goes: rows up to the first one still within retention.
    EXECUTE format(
        'SELECT id, hash FROM %I WHERE $1 IS NULL OR id < $1 ORDER BY id DESC LIMIT 1',
        log_table
    ) INTO last_id, last_hash USING keep_from;
    IF last_id IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM set_config('onespace.purge', 'on', true);
    EXECUTE format('DELETE FROM %I WHERE id <= $1', log_table) USING last_id;
    GET DIAGNOSTICS purged = ROW_COUNT;
    INSERT INTO auditlog_purgecheckpoint ("table", last_id, last_hash, purged_count, purged_at)
        VALUES (log_table, last_id, last_hash, purged, now());
    PERFORM set_config('onespace.purge', 'off', true);
    RETURN purged;
END;
$$;
REVOKE ALL ON FUNCTION auditlog_purge(text) FROM PUBLIC;
"""

OLD_GUARD = """
CREATE OR REPLACE FUNCTION auditlog_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('onespace.purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'auditlog: % on % refused: log tables are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _purge_sql(schema: str) -> str:
    time_columns = " ".join(f"WHEN '{t}' THEN '{c}'" for t, c in LOGS.items())
    lock_keys = " ".join(f"WHEN '{t}' THEN {zlib.crc32(t.encode())}" for t in LOGS)
    return (
        PURGE.replace("{schema}", f'"{schema}"')
        .replace("{time_columns}", time_columns)
        .replace("{lock_keys}", lock_keys)
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(GUARDS)
        for table in TRUNCATE_GUARDED:
            cursor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION onespace_refuse_unless_owner()"
            )
        cursor.execute(_purge_sql(schema))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS auditlog_purge(text)")
        for table in TRUNCATE_GUARDED:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        cursor.execute(
            "DROP TRIGGER IF EXISTS auditlog_purgecheckpoint_insert ON auditlog_purgecheckpoint;"
            "DROP FUNCTION IF EXISTS auditlog_checkpoint_guard();"
        )
        cursor.execute(OLD_GUARD)


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0003_raw_ip_and_dead_letters"),
        ("policy", "0005_database_guards"),
    ]

    operations = [migrations.RunPython(create, drop)]
