"""The erasure record's guard also freezes the pseudonym's key id (migration 0006).

PostgreSQL only: ``policy_erasurerecord_guard()`` of migration 0005, with
``pseudonym_key_id`` beside ``pseudonym`` among the columns nobody may change.
"""

import importlib

from django.db import migrations

_GUARDS = importlib.import_module("policy.migrations.0005_database_guards").GUARDS
_START = "CREATE OR REPLACE FUNCTION policy_erasurerecord_guard()"
_END = "$$ LANGUAGE plpgsql;"
_OLD = _GUARDS[
    _GUARDS.index(_START) : _GUARDS.index(_END, _GUARDS.index(_START)) + len(_END)
]
_PSEUDONYM = "       OR NEW.pseudonym IS DISTINCT FROM OLD.pseudonym\n"
assert _PSEUDONYM in _OLD
_NEW = _OLD.replace(
    _PSEUDONYM,
    _PSEUDONYM
    + "       OR NEW.pseudonym_key_id IS DISTINCT FROM OLD.pseudonym_key_id\n",
)


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, _NEW)


def backwards(apps, schema_editor):
    _run(schema_editor, _OLD)


class Migration(migrations.Migration):
    dependencies = [("policy", "0009_holds_in_billing_purge")]

    operations = [migrations.RunPython(forwards, backwards)]
