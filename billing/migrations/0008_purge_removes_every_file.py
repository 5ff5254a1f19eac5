"""The owner's retention purge also hands back the cancelled rendering and 50 ทวิ files.

PostgreSQL only. ``billing_purge_expired()`` (0006) returned each removed document's PDF
name; since 0006_tax_point… a document may also hold its cancelled rendering
(``cancelled_pdf``) and a payment its uploaded withholding certificate
(``certificate_pdf``). The function now returns one row per file to delete after commit
(``document_id`` is the removed document, for a certificate its billing note); the rules
of what is removed are unchanged.
"""

from django.db import migrations

PURGE = """
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
    RETURN QUERY
        WITH paid AS (
            DELETE FROM billing_payment p WHERE p.billing_note_id = ANY (doomed)
            RETURNING p.billing_note_id, p.certificate_pdf
        )
        SELECT paid.billing_note_id, paid.certificate_pdf::text FROM paid
        WHERE paid.certificate_pdf <> '';
    RETURN QUERY
        WITH gone AS (
            DELETE FROM billing_document d WHERE d.id = ANY (doomed)
            RETURNING d.id, d.pdf, d.cancelled_pdf
        )
        SELECT gone.id, gone.pdf::text FROM gone
        UNION ALL
        SELECT gone.id, gone.cancelled_pdf::text FROM gone WHERE gone.cancelled_pdf <> '';
    PERFORM set_config('billing.retention_purge', 'off', true);
    PERFORM set_config('onespace.purge', 'off', true);
END;
$$;
REVOKE ALL ON FUNCTION billing_purge_expired() FROM PUBLIC;
"""


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return cursor.fetchone()[0]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema = _schema(schema_editor)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(PURGE.replace("{schema}", f'"{schema}"'))


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from importlib import import_module

    earlier = import_module("billing.migrations.0006_retention_purge_function")
    schema = _schema(schema_editor)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(earlier.PURGE.replace("{schema}", f'"{schema}"'))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_retention_purge_function"),
        ("billing", "0007_document_guard_allows_cancelled_rendering"),
    ]

    operations = [migrations.RunPython(create, restore)]
