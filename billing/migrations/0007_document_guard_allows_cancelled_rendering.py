"""PostgreSQL: an issued document may also gain, once, the rendering that shows it cancelled.

Replaces billing_document_guard() (0003) with the same rules plus one late column,
``cancelled_pdf``: written at most once (from '' to a name, never changed after) and only
on a row whose cancellation mark is set. The delete branch and its retention-purge bypass
are unchanged.
"""

from django.db import migrations

GUARD = r"""
CREATE OR REPLACE FUNCTION billing_document_guard() RETURNS trigger AS $$
DECLARE
  late text[] := ARRAY['pdf', 'cancelled_at', 'cancellation_reason', 'cancelled_pdf', 'customer_id', 'profile_id'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status = 'draft' OR current_setting('billing.retention_purge', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'issued billing document % cannot be deleted', OLD.number;
  END IF;
  IF OLD.status = 'draft' THEN
    RETURN NEW;
  END IF;
  IF (to_jsonb(NEW) - late) IS DISTINCT FROM (to_jsonb(OLD) - late)
     OR (OLD.pdf <> '' AND NEW.pdf IS DISTINCT FROM OLD.pdf)
     OR (OLD.cancelled_at IS NOT NULL AND (NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at
         OR NEW.cancellation_reason IS DISTINCT FROM OLD.cancellation_reason))
     OR (OLD.cancelled_pdf <> '' AND NEW.cancelled_pdf IS DISTINCT FROM OLD.cancelled_pdf)
     OR (NEW.cancelled_pdf <> '' AND NEW.cancelled_at IS NULL)
     OR (NEW.customer_id IS DISTINCT FROM OLD.customer_id AND NEW.customer_id IS NOT NULL)
     OR (NEW.profile_id IS DISTINCT FROM OLD.profile_id AND NEW.profile_id IS NOT NULL) THEN
    RAISE EXCEPTION 'issued billing document % cannot be changed', OLD.number;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# 0003's function, for migrating back.
EARLIER_GUARD = r"""
CREATE OR REPLACE FUNCTION billing_document_guard() RETURNS trigger AS $$
DECLARE
  late text[] := ARRAY['pdf', 'cancelled_at', 'cancellation_reason', 'customer_id', 'profile_id'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status = 'draft' OR current_setting('billing.retention_purge', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'issued billing document % cannot be deleted', OLD.number;
  END IF;
  IF OLD.status = 'draft' THEN
    RETURN NEW;
  END IF;
  IF (to_jsonb(NEW) - late) IS DISTINCT FROM (to_jsonb(OLD) - late)
     OR (OLD.pdf <> '' AND NEW.pdf IS DISTINCT FROM OLD.pdf)
     OR (OLD.cancelled_at IS NOT NULL AND (NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at
         OR NEW.cancellation_reason IS DISTINCT FROM OLD.cancellation_reason))
     OR (NEW.customer_id IS DISTINCT FROM OLD.customer_id AND NEW.customer_id IS NOT NULL)
     OR (NEW.profile_id IS DISTINCT FROM OLD.profile_id AND NEW.profile_id IS NOT NULL) THEN
    RAISE EXCEPTION 'issued billing document % cannot be changed', OLD.number;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def replace_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def restore_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EARLIER_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_tax_point_etda_reasons_withholding_rates")]

    operations = [migrations.RunPython(replace_guard, restore_guard)]
