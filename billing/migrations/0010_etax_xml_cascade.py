"""billing_purge_expired() deletes documents in SQL: their e-Tax XML goes with them.

Its own migration: Django adds 0009's foreign keys when that migration ends, so only
here does the constraint exist to be replaced.
"""

from django.db import migrations


def cascade_in_the_database(apps, schema_editor):
    """billing_purge_expired() deletes documents in SQL: their XML must go with them."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = 'billing_etaxxml'::regclass"
            " AND confrelid = 'billing_document'::regclass"
        )
        (name,) = cursor.fetchone()
        cursor.execute(
            f'ALTER TABLE billing_etaxxml DROP CONSTRAINT "{name}", '
            f'ADD CONSTRAINT "{name}" FOREIGN KEY (document_id) '
            "REFERENCES billing_document (id) ON DELETE CASCADE "
            "DEFERRABLE INITIALLY DEFERRED"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_etax_xml_address_codes"),
    ]

    operations = [
        migrations.RunPython(cascade_in_the_database, migrations.RunPython.noop),
    ]
