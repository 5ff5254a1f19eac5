"""The log tables partitioned by month; the purge drops whole expired months (issue 15).

PostgreSQL only (``auditlog.partitions`` explains the layout). Here:

* ``auditlog_partitions(table)``: a partitioned table's partitions and their bounds;
* ``auditlog_add_partition`` / ``auditlog_add_default_partition`` (the caller's rights:
  only the owner can create tables) make one month's partition, taking over the rows the
  default partition holds for that month, with the TRUNCATE guard and no grant to anyone
  (the application reaches partitions only through their table);
* ``auditlog_create_partitions(table, months_ahead)``: SECURITY DEFINER, for the daily
  maintenance run by the runtime role; at most 24 months ahead;
* ``auditlog_partition_may_go(table, partition, lower, upper)``: the one place that says
  whether a partition's rows may be removed at all: legal holds veto here;
* ``auditlog_purge(table)``: as in 0004 (the oldest prefix of the chain past the
  retention, by the database's clock, under the chain lock) but a partition whose rows
  all lie in that prefix is detached and dropped instead of deleted row by row, leaving
  a purge checkpoint at its boundary; rows of a partly expired partition are deleted as
  before. A partition that may not go ends the prefix before its first row.
* ``auditlog_nodeevent_unique_event()``: event ids stay unique without a unique index
  (a statement-level trigger: one query per batch, not one per row).

Then each log table that has no rows yet is partitioned at once. A table with rows is
left as it is (every function here works on both) until ``manage.py partition_logs``
converts it while the portal runs.
"""

import sys
import zlib

from django.db import migrations

LOGS = {
    "auditlog_accesslog": "occurred_at",
    "auditlog_securityevent": "occurred_at",
    "auditlog_nodeevent": "received_at",
}

FUNCTIONS = """
CREATE OR REPLACE FUNCTION auditlog_partitions(log_table text)
RETURNS TABLE (part regclass, lower timestamptz, upper timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT c.oid::regclass,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \\(''([^'']*)''\\)')::timestamptz,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']*)''\\)')::timestamptz
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(log_table)
    ORDER BY 2 NULLS LAST, 1
$$;

CREATE OR REPLACE FUNCTION auditlog_guard_partition(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    grantee text;
BEGIN
    EXECUTE format(
        'CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
        'EXECUTE FUNCTION onespace_refuse_unless_owner()', name || '_no_truncate', name);
    -- The application reads and appends through the partitioned table only.
    FOR grantee IN
        SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                             ELSE quote_ident(pg_get_userbyid(acl.grantee)) END
        FROM pg_class c, aclexplode(c.relacl) acl
        WHERE c.oid = to_regclass(name) AND acl.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %I FROM %s', name, grantee);
    END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION auditlog_add_default_partition(parent text, prefix text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    name text := prefix || '_default';
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', name, parent);
    PERFORM auditlog_guard_partition(name);
    RETURN name;
END;
$$;

CREATE OR REPLACE FUNCTION auditlog_add_partition(
    parent text, prefix text, time_column text, month date
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    lower timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
    upper timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    name text := prefix || '_p' || to_char(first_day, 'YYYYMM');
    fallback regclass := to_regclass(prefix || '_default');
    moving boolean := false;
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    IF fallback IS NOT NULL THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I >= $1 AND %I < $2)',
                       fallback, time_column, time_column)
            INTO moving USING lower, upper;
    END IF;
    IF moving THEN
        -- The month's rows wait in the default partition: move them (ids and hashes
        -- unchanged, so the chain is too), then attach.
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       name, parent);
        PERFORM set_config('onespace.purge', 'on', true);
        EXECUTE format(
            'WITH moved AS (DELETE FROM %s WHERE %I >= $1 AND %I < $2 RETURNING *) '
            'INSERT INTO %I SELECT * FROM moved', fallback, time_column, time_column, name
        ) USING lower, upper;
        PERFORM set_config('onespace.purge', 'off', true);
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       parent, name, lower, upper);
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       name, parent, lower, upper);
    END IF;
    PERFORM auditlog_guard_partition(name);
    RETURN name;
END;
$$;

CREATE OR REPLACE FUNCTION auditlog_create_partitions(log_table text, months_ahead integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    time_column text := CASE log_table {time_columns} END;
    this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    made integer := 0;
BEGIN
    IF time_column IS NULL THEN
        RAISE EXCEPTION 'auditlog: % is not a log table', log_table;
    END IF;
    IF (SELECT relkind FROM pg_class WHERE oid = to_regclass(log_table)) IS DISTINCT FROM 'p' THEN
        RETURN 0;
    END IF;
    PERFORM auditlog_add_default_partition(log_table, log_table);
    FOR m IN 0..least(greatest(months_ahead, 0), 24) LOOP
        IF auditlog_add_partition(log_table, log_table, time_column,
                                  (this_month + make_interval(months => m))::date) IS NOT NULL THEN
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END;
$$;
REVOKE ALL ON FUNCTION auditlog_create_partitions(text, integer) FROM PUBLIC;

-- May the rows of this partition of log_table be removed (dropped whole, or the expired
-- ones deleted)? lower and upper are its bounds (NULL for the default partition).
-- LEGAL HOLDS: the privacy issue's hold table is consulted here; return false while a
-- hold covers [lower, upper) of this log. The purge then keeps the partition and every
-- newer row (the chain stays a cut prefix). Tests replace this function to veto a month.
CREATE OR REPLACE FUNCTION auditlog_partition_may_go(
    log_table text, part regclass, lower timestamptz, upper timestamptz
) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT true
$$;

CREATE OR REPLACE FUNCTION auditlog_nodeevent_unique_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    duplicate uuid;
BEGIN
    -- A unique index of a partitioned table must hold the partition key; event ids are
    -- unique across all months. Once per statement (a batch, a COPY), after its rows are
    -- in: is any of their ids there twice? Writers are serialised by the chain lock.
    SELECT n.event_id INTO duplicate FROM auditlog_nodeevent n
        WHERE n.event_id IN (SELECT event_id FROM inserted)
        GROUP BY n.event_id HAVING count(*) > 1 LIMIT 1;
    IF duplicate IS NOT NULL THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "auditlog_nodeevent_event_id_key"'
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('Key (event_id)=(%s) already exists.', duplicate);
    END IF;
    RETURN NULL;
END;
$$;
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
    held_from bigint;
    parts regclass[];
    lowers timestamptz[];
    uppers timestamptz[];
    i integer;
    part_min bigint;
    part_max bigint;
    n bigint;
    pending bigint := 0;
    boundary bigint := 0;
    boundary_hash text;
    purged bigint := 0;
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
    -- Oldest first; the default partition before the months (its expired rows are
    -- stragglers older than any month kept as a partition).
    SELECT coalesce(array_agg(part ORDER BY lower NULLS FIRST, part::text), '{}'),
           array_agg(lower ORDER BY lower NULLS FIRST, part::text),
           array_agg(upper ORDER BY lower NULLS FIRST, part::text)
        INTO parts, lowers, uppers FROM auditlog_partitions(log_table);
    -- A partition that may not go (a legal hold) keeps its rows and every newer one.
    FOR i IN 1..cardinality(parts) LOOP
        EXECUTE format('SELECT min(id) FROM %s WHERE id <= $1', parts[i]) INTO part_min USING last_id;
        IF part_min IS NOT NULL
           AND NOT auditlog_partition_may_go(log_table, parts[i], lowers[i], uppers[i]) THEN
            held_from := least(held_from, part_min);
        END IF;
    END LOOP;
    IF held_from IS NOT NULL THEN
        EXECUTE format('SELECT id, hash FROM %I WHERE id < $1 ORDER BY id DESC LIMIT 1', log_table)
            INTO last_id, last_hash USING held_from;
        IF last_id IS NULL THEN
            RETURN 0;
        END IF;
    END IF;
    FOR i IN 1..cardinality(parts) LOOP
        EXECUTE format('SELECT min(id), max(id) FROM %s', parts[i]) INTO part_min, part_max;
        CONTINUE WHEN part_min IS NULL OR part_min > last_id;
        IF part_max <= last_id AND lowers[i] IS NOT NULL THEN
            -- Every row of this month is in the expired prefix: drop it whole. Its
            -- boundary (the prefix's last id and hash so far) becomes a checkpoint.
            EXECUTE format('SELECT count(*) FROM %s', parts[i]) INTO n;
            pending := pending + n;
            IF part_max > boundary THEN
                boundary := part_max;
                EXECUTE format('SELECT hash FROM %s WHERE id = $1', parts[i])
                    INTO boundary_hash USING part_max;
            END IF;
            EXECUTE format('ALTER TABLE %I DETACH PARTITION %s', log_table, parts[i]);
            EXECUTE format('DROP TABLE %s', parts[i]);
            INSERT INTO auditlog_purgecheckpoint ("table", last_id, last_hash, purged_count, purged_at)
                VALUES (log_table, boundary, boundary_hash, pending, now());
            purged := purged + pending;
            pending := 0;
        ELSE
            EXECUTE format('DELETE FROM %s WHERE id <= $1', parts[i]) USING last_id;
            GET DIAGNOSTICS n = ROW_COUNT;
            pending := pending + n;
        END IF;
    END LOOP;
    IF cardinality(parts) = 0 THEN
        -- Not partitioned (yet): rows go one by one, as before.
        EXECUTE format('DELETE FROM %I WHERE id <= $1', log_table) USING last_id;
        GET DIAGNOSTICS pending = ROW_COUNT;
    END IF;
    IF last_id > boundary THEN
        INSERT INTO auditlog_purgecheckpoint ("table", last_id, last_hash, purged_count, purged_at)
            VALUES (log_table, last_id, last_hash, pending, now());
    END IF;
    purged := purged + pending;
    PERFORM set_config('onespace.purge', 'off', true);
    RETURN purged;
END;
$$;
REVOKE ALL ON FUNCTION auditlog_purge(text) FROM PUBLIC;
"""

DROP = """
DROP FUNCTION IF EXISTS auditlog_create_partitions(text, integer);
DROP FUNCTION IF EXISTS auditlog_add_partition(text, text, text, date);
DROP FUNCTION IF EXISTS auditlog_add_default_partition(text, text);
DROP FUNCTION IF EXISTS auditlog_guard_partition(text);
DROP FUNCTION IF EXISTS auditlog_partition_may_go(text, regclass, timestamptz, timestamptz);
"""


def _sql(template: str, schema: str) -> str:
    time_columns = " ".join(f"WHEN '{t}' THEN '{c}'" for t, c in LOGS.items())
    lock_keys = " ".join(f"WHEN '{t}' THEN {zlib.crc32(t.encode())}" for t in LOGS)
    return (
        template.replace("{schema}", f'"{schema}"')
        .replace("{time_columns}", time_columns)
        .replace("{lock_keys}", lock_keys)
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from auditlog import partitions

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(_sql(FUNCTIONS, schema))
        cursor.execute(_sql(PURGE, schema))
        for table in LOGS:
            if not partitions.convert_empty(cursor, table):
                sys.stdout.write(
                    f"\n  {table} holds rows: it stays unpartitioned until "
                    f"`manage.py partition_logs` converts it (README, Audit log).\n"
                )


def drop(apps, schema_editor):
    # The tables stay partitioned (every query works on them); the purge of 0004 is back.
    if schema_editor.connection.vendor != "postgresql":
        return
    module = __import__(
        "auditlog.migrations.0004_owner_only_purge", fromlist=["_purge_sql"]
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(module._purge_sql(schema))
        cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0004_owner_only_purge")]

    operations = [migrations.RunPython(create, drop)]
