"""Legal holds in the owner's tax-document purge (PostgreSQL).

``billing_purge_expired()`` (billing 0008) now leaves out every document that
``policy_held()`` (0007) says a hold in force keeps (and, as before, whatever a kept
document cites). The rest of the function is billing's, unchanged; unapplying restores it.
"""

import importlib

from django.db import migrations

_BILLING = importlib.import_module("billing.migrations.0008_purge_removes_every_file")
_EXPIRED = "          AND billing_retained_until(d.issued_on, fiscal_year_end) < today;"
_HELD = (
    "          AND billing_retained_until(d.issued_on, fiscal_year_end) < today\n"
    "          AND NOT policy_held('billing-document', d.customer_id, '',\n"
    "                              d.issued_on::timestamptz);"
)
assert _EXPIRED in _BILLING.PURGE
PURGE_WITH_HOLDS = _BILLING.PURGE.replace(_EXPIRED, _HELD)


def _replace(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(sql.replace("{schema}", f'"{schema}"'))


def forwards(apps, schema_editor):
    _replace(schema_editor, PURGE_WITH_HOLDS)


def backwards(apps, schema_editor):
    _replace(schema_editor, _BILLING.PURGE)


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0008_registry_snapshot"),
        ("billing", "0008_purge_removes_every_file"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
