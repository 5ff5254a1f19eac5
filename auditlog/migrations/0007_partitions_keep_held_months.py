"""Legal holds keep their months: ``auditlog_partition_may_go`` asks the hold table.

0005 made the partition drop ask one function whether a month may go at all; until the
privacy app's holds existed it always said yes. A month may not go while a hold in force
(policy_legalhold, not released, not past its end) covers the log's registry category,
or every category, and its data range overlaps the month (a hold without a range covers
every month; the default partition, which has no bounds, is checked by its rows). The
check is by month, not by row: a hold on one customer keeps the whole month and, as the chain is
purged only as a prefix, every newer one, until it is released or ends. Holds are rare
and short (at most two years, CCA s.26); keeping too much for that time is the lawful
side of the choice.
"""

from django.db import migrations

MAY_GO = """
CREATE OR REPLACE FUNCTION auditlog_partition_may_go(
    log_table text, part regclass, lower timestamptz, upper timestamptz
) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    key_column text := CASE log_table WHEN 'auditlog_nodeevent' THEN 'received_at'
                                      ELSE 'occurred_at' END;
    hold record;
    held boolean;
BEGIN
    FOR hold IN
        SELECT h.data_from, h.data_until FROM policy_legalhold h
        WHERE h.released_at IS NULL
          AND h.ends_on >= (now() AT TIME ZONE 'Asia/Bangkok')::date
          AND (h.category = '' OR h.category = CASE log_table
                WHEN 'auditlog_accesslog' THEN 'auditlog-access-log'
                WHEN 'auditlog_securityevent' THEN 'auditlog-security-event'
                WHEN 'auditlog_nodeevent' THEN 'auditlog-node-event' END)
    LOOP
        IF lower IS NOT NULL THEN
            -- A month: its bounds against the hold's range.
            IF (hold.data_from IS NULL OR hold.data_from < upper)
               AND (hold.data_until IS NULL OR hold.data_until >= lower) THEN
                RETURN false;
            END IF;
        ELSE
            -- The default partition has no bounds: its rows against the range.
            EXECUTE format(
                'SELECT EXISTS (SELECT 1 FROM %s WHERE ($1 IS NULL OR %I >= $1) '
                'AND ($2 IS NULL OR %I <= $2))', part, key_column, key_column
            ) INTO held USING hold.data_from, hold.data_until;
            IF held THEN
                RETURN false;
            END IF;
        END IF;
    END LOOP;
    RETURN true;
END;
$$;
"""

ALWAYS = """
CREATE OR REPLACE FUNCTION auditlog_partition_may_go(
    log_table text, part regclass, lower timestamptz, upper timestamptz
) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT true
$$;
"""


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # A cursor without parameters: the function's own %s and %I stay as they are.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, MAY_GO)


def backwards(apps, schema_editor):
    _run(schema_editor, ALWAYS)


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0005_disclosure_versions"),
        ("policy", "0007_legal_holds"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
