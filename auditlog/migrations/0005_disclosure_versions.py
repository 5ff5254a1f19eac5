"""Disclosures are versioned records: each change is a policy.RecordVersion (policy 0010).

The customer-visible restriction of a disclosure cannot switch silently: the admin asks
for a reason and the version keeps it; on PostgreSQL the deferred trigger of policy 0010
refuses a change without a version, and any deletion.
"""

from django.db import migrations, models


def create(apps, schema_editor):
    from policy.history import first_versions, guard

    first_versions(apps, "auditlog_disclosure", apps.get_model("auditlog", "Disclosure"))
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(guard("auditlog_disclosure"))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS auditlog_disclosure_versioned ON auditlog_disclosure"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0006_daily_counts"),
        ("policy", "0010_record_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="disclosure",
            name="version",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="version"
            ),
        ),
        migrations.RunPython(create, drop),
    ]
