"""Versions of breach records (and, from auditlog 0005, disclosures): never rewritten silently.

On PostgreSQL ``policy_require_version()`` is a deferred constraint trigger: a transaction
that changed a versioned row commits only if the row's ``version`` went up and a
``policy_recordversion`` row with that number exists; a versioned row is never deleted.
Existing breaches get their version 1 (their state today, "recorded before versions").
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from policy.history import first_versions, guard

FUNCTION = """
CREATE OR REPLACE FUNCTION policy_require_version() RETURNS trigger AS $$
DECLARE
    current_version integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% % cannot be deleted: its versions are the record', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Deferred to commit: the row as it is now, after every change of the transaction.
    EXECUTE format('SELECT version FROM %I WHERE id = $1', TG_TABLE_NAME)
        INTO current_version USING NEW.id;
    IF current_version IS NULL THEN
        RETURN NULL;  -- deleted later in the transaction: its DELETE event refuses that
    END IF;
    IF current_version <= OLD.version OR NOT EXISTS (
        SELECT 1 FROM policy_recordversion
        WHERE "table" = TG_TABLE_NAME AND object_id = NEW.id AND number = current_version
    ) THEN
        RAISE EXCEPTION '% % was changed without a new version', TG_TABLE_NAME, NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    first_versions(apps, "policy_breach", apps.get_model("policy", "Breach"))
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        cursor.execute(guard("policy_breach"))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS policy_breach_versioned ON policy_breach")
        cursor.execute("DROP FUNCTION IF EXISTS policy_require_version()")


class Migration(migrations.Migration):

    dependencies = [
        ('policy', '0009_marketing_email'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='breach',
            name='dismissed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='dismissed at'),
        ),
        migrations.AddField(
            model_name='breach',
            name='is_candidate',
            field=models.BooleanField(default=False, verbose_name='candidate, to confirm or dismiss'),
        ),
        migrations.AddField(
            model_name='breach',
            name='source',
            field=models.CharField(blank=True, max_length=200, verbose_name='opened from'),
        ),
        migrations.AddField(
            model_name='breach',
            name='version',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='version'),
        ),
        migrations.CreateModel(
            name='BreachAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hours', models.PositiveSmallIntegerField(verbose_name='hours after awareness')),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='sent at')),
                ('breach', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='policy.breach', verbose_name='breach')),
            ],
            options={
                'verbose_name': 'breach clock alert',
                'verbose_name_plural': 'breach clock alerts',
                'constraints': [models.UniqueConstraint(fields=('breach', 'hours'), name='policy_breach_alert_once')],
            },
        ),
        migrations.CreateModel(
            name='RecordVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('table', models.CharField(max_length=63, verbose_name='record type')),
                ('object_id', models.PositiveBigIntegerField(verbose_name='record')),
                ('number', models.PositiveIntegerField(verbose_name='version')),
                ('data', models.JSONField(verbose_name='state')),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed at')),
                ('reason', models.TextField(blank=True, verbose_name='reason for the change')),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
            ],
            options={
                'verbose_name': 'record version',
                'verbose_name_plural': 'record versions',
                'ordering': ['table', 'object_id', 'number'],
                'constraints': [models.UniqueConstraint(fields=('table', 'object_id', 'number'), name='policy_recordversion_once')],
            },
        ),
        migrations.RunPython(create, drop),
    ]
