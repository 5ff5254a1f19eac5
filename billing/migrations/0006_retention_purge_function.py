"""Issued tax documents go only through the owner's retention purge, and only past their legal period.

PostgreSQL only (issue 11; issue 12, "Withholding and retention"). Revenue Code s.87/3 and
Accounting Act s.14: tax documents are kept 5 years counted from the end of the accounting
period in which they were issued, never from the issue date.

* ``billing_retained_until(issued_on, fiscal_year_end)``: the last day a document must be
  kept (the end of its accounting period, plus 5 years).
* ``billing_purge_expired()`` is SECURITY DEFINER and takes no cutoff from its caller: it
  reads the fiscal year end from ``policy_retentionsetting`` (written by ``migrate``),
  counts with the database's clock in Bangkok, keeps any document a kept document still
  cites (RESTRICT), deletes lines, payments and documents, and returns what it removed.
* ``billing_document_guard()`` (migration 0003) still lets a delete through when
  ``billing.retention_purge`` is on. Instead of changing that function, a second row
  trigger per table refuses deleting an issued document or its lines unless the owner's
  purge is running (``onespace_in_purge``), so the flag alone no longer works.
* ``TRUNCATE`` of documents and lines is refused but for the owner.
"""

from django.db import migrations

TRUNCATE_GUARDED = ("billing_document", "billing_documentline")

GUARDS = """
CREATE OR REPLACE FUNCTION billing_document_purge_guard() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'draft' AND NOT onespace_in_purge(TG_RELID) THEN
        RAISE EXCEPTION 'issued billing document % cannot be deleted', OLD.number
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_document_purge_guard
    BEFORE DELETE ON billing_document
    FOR EACH ROW EXECUTE FUNCTION billing_document_purge_guard();

CREATE OR REPLACE FUNCTION billing_documentline_purge_guard() RETURNS trigger AS $$
BEGIN
    IF NOT onespace_in_purge(TG_RELID) AND EXISTS (
        SELECT 1 FROM billing_document WHERE id = OLD.document_id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION 'lines of issued billing document % cannot be changed', OLD.document_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_documentline_purge_guard
    BEFORE DELETE ON billing_documentline
    FOR EACH ROW EXECUTE FUNCTION billing_documentline_purge_guard();
"""

PURGE = """
CREATE OR REPLACE FUNCTION billing_retained_until(issued_on date, fiscal_year_end text)
RETURNS date
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    month integer := split_part(fiscal_year_end, '-', 1)::integer;
    day integer := split_part(fiscal_year_end, '-', 2)::integer;
    period_end date := make_date(extract(year FROM issued_on)::integer, month, day);
BEGIN
    IF period_end < issued_on THEN
        period_end := make_date(extract(year FROM issued_on)::integer + 1, month, day);
    END IF;
    -- Revenue Code s.87/3, Accounting Act s.14: 5 years from the end of the period.
    RETURN (period_end + interval '5 years')::date;
END;
$$;

CREATE OR REPLACE FUNCTION billing_purge_expired()
RETURNS TABLE (document_id bigint, pdf text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    fiscal_year_end text;
    today date := (now() AT TIME ZONE 'Asia/Bangkok')::date;
    doomed bigint[];
    cited bigint[];
BEGIN
    SELECT value INTO fiscal_year_end FROM policy_retentionsetting
        WHERE key = 'BILLING_FISCAL_YEAR_END';
    fiscal_year_end := coalesce(fiscal_year_end, '12-31');
    SELECT coalesce(array_agg(d.id), '{}') INTO doomed FROM billing_document d
        WHERE d.status <> 'draft' AND d.issued_on IS NOT NULL
          AND billing_retained_until(d.issued_on, fiscal_year_end) < today;
    -- A document that stays may cite one that has run out (a credit note of a later
    -- period, the tax invoice of a billing note): the cited one stays with it.
    LOOP
        SELECT array_agg(x) INTO cited FROM unnest(doomed) x
        WHERE EXISTS (
            SELECT 1 FROM billing_document k
            WHERE NOT (k.id = ANY (doomed))
              AND (k.billing_note_id = x OR k.original_id = x OR k.replaces_id = x
                   OR k.payment_id IN (SELECT p.id FROM billing_payment p
                                       WHERE p.billing_note_id = x))
        );
        EXIT WHEN cited IS NULL;
        doomed := array(SELECT unnest(doomed) EXCEPT SELECT unnest(cited));
    END LOOP;
    PERFORM set_config('onespace.purge', 'on', true);
    PERFORM set_config('billing.retention_purge', 'on', true);
    DELETE FROM billing_documentline l WHERE l.document_id = ANY (doomed);
    DELETE FROM billing_payment p WHERE p.billing_note_id = ANY (doomed);
    RETURN QUERY
        WITH gone AS (
            DELETE FROM billing_document d WHERE d.id = ANY (doomed)
            RETURNING d.id, d.pdf
        )
        SELECT gone.id, gone.pdf::text FROM gone;
    PERFORM set_config('billing.retention_purge', 'off', true);
    PERFORM set_config('onespace.purge', 'off', true);
END;
$$;
REVOKE ALL ON FUNCTION billing_purge_expired() FROM PUBLIC;
"""

DROP = """
DROP FUNCTION IF EXISTS billing_purge_expired();
DROP FUNCTION IF EXISTS billing_retained_until(date, text);
DROP TRIGGER IF EXISTS billing_documentline_purge_guard ON billing_documentline;
DROP FUNCTION IF EXISTS billing_documentline_purge_guard();
DROP TRIGGER IF EXISTS billing_document_purge_guard ON billing_document;
DROP FUNCTION IF EXISTS billing_document_purge_guard();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(GUARDS)
        for table in TRUNCATE_GUARDED:
            cursor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION onespace_refuse_unless_owner()"
            )
        cursor.execute(PURGE.replace("{schema}", f'"{schema}"'))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TRUNCATE_GUARDED:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_total_check_to_the_satang"),
        ("policy", "0005_database_guards"),
    ]

    operations = [migrations.RunPython(create, drop)]
