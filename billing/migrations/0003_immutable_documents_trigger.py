"""PostgreSQL refuses UPDATE and DELETE of issued tax documents and their lines.

Revenue Code s.86/9-10 and s.87/3: issued documents are corrected by new documents and kept
5 years. Only these late writes pass: the rendered PDF name (once), the cancellation mark
(once), and clearing the customer or profile link when that row is deleted. The retention
purge sets ``billing.retention_purge`` for its own transaction.
"""

from django.db import migrations

CREATE = r"""
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

CREATE TRIGGER billing_document_guard
  BEFORE UPDATE OR DELETE ON billing_document
  FOR EACH ROW EXECUTE FUNCTION billing_document_guard();

CREATE OR REPLACE FUNCTION billing_documentline_guard() RETURNS trigger AS $$
DECLARE
  parent_status text;
  row_document bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    row_document := OLD.document_id;
    IF current_setting('billing.retention_purge', true) = 'on' THEN
      RETURN OLD;
    END IF;
  ELSE
    row_document := NEW.document_id;
  END IF;
  SELECT status INTO parent_status FROM billing_document WHERE id = row_document;
  IF parent_status IS DISTINCT FROM 'draft' AND parent_status IS NOT NULL THEN
    RAISE EXCEPTION 'lines of issued billing document % cannot be changed', row_document;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.document_id <> NEW.document_id THEN
    SELECT status INTO parent_status FROM billing_document WHERE id = OLD.document_id;
    IF parent_status IS DISTINCT FROM 'draft' THEN
      RAISE EXCEPTION 'lines of issued billing document % cannot be changed', OLD.document_id;
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_documentline_guard
  BEFORE INSERT OR UPDATE OR DELETE ON billing_documentline
  FOR EACH ROW EXECUTE FUNCTION billing_documentline_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_documentline_guard ON billing_documentline;
DROP FUNCTION IF EXISTS billing_documentline_guard();
DROP TRIGGER IF EXISTS billing_document_guard ON billing_document;
DROP FUNCTION IF EXISTS billing_document_guard();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_vat_rate_finance_permissions")]

    operations = [migrations.RunPython(create, drop)]
