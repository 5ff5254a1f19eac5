"""Legal holds keep their months: the partition drop asks the privacy issue's holds.

PostgreSQL only. ``auditlog_partition_may_go()`` (0005_monthly_partitions said ``true``)
now refuses a partition while a legal hold in force (policy 0007, ``policy_legalhold``)
covers its log's registry category, or every category, and its data range overlaps the
partition's month (for the default partition: the range of the rows it holds). A
partition holds everyone's rows, so a hold on one customer or one
node keeps it too, as ``policy_held()`` answers a question asked without a customer; the
purge then keeps that month and every newer row (the chain stays a cut prefix).
"""

from django.db import migrations

TIME_COLUMNS = {
    "auditlog_accesslog": "occurred_at",
    "auditlog_securityevent": "occurred_at",
    "auditlog_nodeevent": "received_at",
}
CATEGORIES = {
    "auditlog_accesslog": "auditlog-access-log",
    "auditlog_securityevent": "auditlog-security-event",
    "auditlog_nodeevent": "auditlog-node-event",
}

MAY_GO = """
CREATE OR REPLACE FUNCTION auditlog_partition_may_go(
    log_table text, part regclass, lower timestamptz, upper timestamptz
) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    time_column text := CASE log_table {time_columns} END;
BEGIN
    IF lower IS NULL THEN
        -- The default partition holds rows of any time: the range of its rows counts.
        EXECUTE format('SELECT min(%I), max(%I) FROM %s', time_column, time_column, part)
            INTO lower, upper;
        IF lower IS NULL THEN
            RETURN true;
        END IF;
        upper := upper + interval '1 microsecond';
    END IF;
    -- The conditions of policy_held() (policy 0007), with the partition's range for "at".
    RETURN NOT EXISTS (
        SELECT 1 FROM policy_legalhold h
        WHERE h.released_at IS NULL
          AND h.ends_on >= (now() AT TIME ZONE 'Asia/Bangkok')::date
          AND (h.category = '' OR h.category = CASE log_table {categories} END)
          AND (h.data_from IS NULL OR h.data_from < upper)
          AND (h.data_until IS NULL OR h.data_until >= lower)
    );
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


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    categories = " ".join(f"WHEN '{t}' THEN '{c}'" for t, c in CATEGORIES.items())
    columns = " ".join(f"WHEN '{t}' THEN '{c}'" for t, c in TIME_COLUMNS.items())
    schema_editor.execute(
        MAY_GO.replace("{categories}", categories).replace("{time_columns}", columns),
        params=None,
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(ALWAYS, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0005_disclosure_versions"),
        ("policy", "0007_legal_holds"),
    ]

    operations = [migrations.RunPython(create, drop)]
