"""PostgreSQL refuses UPDATE and DELETE on the log tables, except inside the retention purge."""

from django.db import migrations

TABLES = (
    "auditlog_accesslog",
    "auditlog_securityevent",
    "auditlog_nodeevent",
    "auditlog_purgecheckpoint",
)

FUNCTION = """
CREATE OR REPLACE FUNCTION auditlog_refuse_change() RETURNS trigger AS $$
BEGIN
    -- The retention purge sets onespace.purge with SET LOCAL inside its transaction.
    IF TG_OP = 'DELETE' AND current_setting('onespace.purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'auditlog: % on % refused: log tables are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION auditlog_refuse_change()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS auditlog_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
