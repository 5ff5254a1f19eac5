"""The database cache table (CACHES["default"]) that holds the rate-limit counters.

Created here so `migrate` alone (make run, a deployment, the test database) leaves a
working cache; `manage.py createcachetable` would do the same and skips it once present.
"""

from django.core.management.commands.createcachetable import Command
from django.db import migrations

TABLE = "onespace_cache"


def create_cache_table(apps, schema_editor):
    command = Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(
        "DROP TABLE IF EXISTS %s" % schema_editor.quote_name(TABLE)
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_staff_groups")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
