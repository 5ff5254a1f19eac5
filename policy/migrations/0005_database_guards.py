"""The database keeps the proof honest against the application's own role (issue 11).

PostgreSQL only. The application runs as a runtime role that owns no table (README,
Production; onespace.db_roles), so it cannot disable a trigger. Here:

* ``onespace_is_owner`` / ``onespace_in_purge``: the guards of every app ask whether the
  current role owns the table, and whether it set ``onespace.purge`` (the owner's
  SECURITY DEFINER functions do, for their own work). The flag means nothing to any other
  role: setting it is no longer a way around a trigger.
* ``onespace_refuse_unless_owner``: statement-level TRUNCATE guard (pytest's flush and a
  DBA, both the owner, still may), also the write guard of the retention settings.
* Acceptances and consents are detached from a person only by ``policy_pseudonymise``,
  and only once that account's closure is due by the database's clock (PDPA s.33).
* Erasure records are proof: never deleted; ``recorded_at`` is the database's own clock.
* ``policy_retentionsetting`` holds the settings those functions read; ``migrate`` (the
  owner) copies them from Django settings (policy.receivers).
"""

import django.db.models.functions.datetime
from django.db import migrations, models

HELPERS = """
CREATE OR REPLACE FUNCTION onespace_is_owner(tbl oid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = tbl), 'MEMBER')
$$;

CREATE OR REPLACE FUNCTION onespace_in_purge(tbl oid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    -- Inside the owner's SECURITY DEFINER functions current_user is the owner.
    SELECT coalesce(current_setting('onespace.purge', true), '') = 'on'
           AND onespace_is_owner(tbl)
$$;

CREATE OR REPLACE FUNCTION onespace_refuse_unless_owner() RETURNS trigger AS $$
BEGIN
    IF NOT onespace_is_owner(TG_RELID) THEN
        RAISE EXCEPTION '% on % refused: only the owner role may do this', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_LEVEL = 'STATEMENT' THEN
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

GUARDS = """
CREATE OR REPLACE FUNCTION policy_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'policy: % rows are append-only', TG_TABLE_NAME;
    END IF;
    -- Erasure may only detach the person (drop the link, the address, the browser),
    -- and only through policy_pseudonymise(); the pseudonym and the rest stay.
    IF NOT onespace_in_purge(TG_RELID)
       OR (to_jsonb(NEW) - 'customer_id' - 'ip_address' - 'user_agent')
           IS DISTINCT FROM (to_jsonb(OLD) - 'customer_id' - 'ip_address' - 'user_agent')
       OR (NEW.customer_id IS NOT NULL AND NEW.customer_id IS DISTINCT FROM OLD.customer_id)
       OR (NEW.ip_address IS NOT NULL AND NEW.ip_address IS DISTINCT FROM OLD.ip_address)
       OR (NEW.user_agent <> '' AND NEW.user_agent IS DISTINCT FROM OLD.user_agent) THEN
        RAISE EXCEPTION 'policy: % rows are append-only', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION policy_erasurerecord_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The cool-off is counted by the database's clock, whatever the application sends.
        NEW.recorded_at := now();
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'policy: erasure record % is kept as proof', OLD.id;
    END IF;
    IF onespace_in_purge(TG_RELID) THEN
        RETURN NEW;
    END IF;
    -- The application cancels or completes a request, detaches a deleted account; nothing else.
    IF NEW.recorded_at IS DISTINCT FROM OLD.recorded_at
       OR NEW.requested_at IS DISTINCT FROM OLD.requested_at
       OR NEW.erase_after IS DISTINCT FROM OLD.erase_after
       OR NEW.pseudonym IS DISTINCT FROM OLD.pseudonym
       OR (NEW.customer_id IS NOT NULL AND NEW.customer_id IS DISTINCT FROM OLD.customer_id)
       OR (OLD.cancelled_at IS NOT NULL AND NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at)
       OR (OLD.erased_at IS NOT NULL AND (NEW.erased_at IS DISTINCT FROM OLD.erased_at
                                          OR NEW.counts IS DISTINCT FROM OLD.counts)) THEN
        RAISE EXCEPTION 'policy: erasure record % can only be cancelled or completed', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_erasurerecord_guard
    BEFORE INSERT OR UPDATE OR DELETE ON policy_erasurerecord
    FOR EACH ROW EXECUTE FUNCTION policy_erasurerecord_guard();

CREATE TRIGGER policy_retentionsetting_owner_only
    BEFORE INSERT OR UPDATE OR DELETE ON policy_retentionsetting
    FOR EACH ROW EXECUTE FUNCTION onespace_refuse_unless_owner();
"""

# Tables whose rows are proof: nobody but the owner empties them.
TRUNCATE_GUARDED = (
    "policy_noticeversion",
    "policy_acceptance",
    "policy_consentrecord",
    "policy_erasurerecord",
    "policy_retentionsetting",
)

PSEUDONYMISE = """
CREATE OR REPLACE FUNCTION policy_pseudonymise(record_table text, customer bigint)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    cool_off interval;
    detached bigint;
BEGIN
    IF record_table NOT IN ('policy_acceptance', 'policy_consentrecord') THEN
        RAISE EXCEPTION 'policy: % holds no acceptance or consent records', record_table;
    END IF;
    EXECUTE format('SELECT count(*) FROM %I WHERE customer_id = $1', record_table)
        INTO detached USING customer;
    IF detached = 0 THEN
        RETURN 0;  -- nothing names this account (already detached, or never recorded)
    END IF;
    SELECT make_interval(secs => value::double precision) INTO cool_off
        FROM policy_retentionsetting WHERE key = 'ACCOUNT_CLOSURE_COOL_OFF';
    -- PDPA s.33: only an account whose closure request has waited out the cool-off.
    IF NOT EXISTS (
        SELECT 1 FROM policy_erasurerecord
        WHERE customer_id = customer AND cancelled_at IS NULL AND erased_at IS NULL
          AND recorded_at + greatest(coalesce(cool_off, interval '3 days'), interval '0')
              <= now()
    ) THEN
        RAISE EXCEPTION 'policy: the closure of account % is not due; its records stay as they are', customer
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM set_config('onespace.purge', 'on', true);
    EXECUTE format(
        'UPDATE %I SET customer_id = NULL, ip_address = NULL, user_agent = '''' '
        'WHERE customer_id = $1', record_table
    ) USING customer;
    GET DIAGNOSTICS detached = ROW_COUNT;
    PERFORM set_config('onespace.purge', 'off', true);
    RETURN detached;
END;
$$;
REVOKE ALL ON FUNCTION policy_pseudonymise(text, bigint) FROM PUBLIC;
"""

DROP = """
DROP FUNCTION IF EXISTS policy_pseudonymise(text, bigint);
DROP TRIGGER IF EXISTS policy_retentionsetting_owner_only ON policy_retentionsetting;
DROP TRIGGER IF EXISTS policy_erasurerecord_guard ON policy_erasurerecord;
DROP FUNCTION IF EXISTS policy_erasurerecord_guard();
"""

# The guard of migration 0002, restored when this migration is unapplied.
OLD_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION policy_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'policy: % rows are append-only', TG_TABLE_NAME;
    END IF;
    IF (to_jsonb(NEW) - 'customer_id' - 'ip_address' - 'user_agent')
           IS DISTINCT FROM (to_jsonb(OLD) - 'customer_id' - 'ip_address' - 'user_agent')
       OR (NEW.customer_id IS NOT NULL AND NEW.customer_id IS DISTINCT FROM OLD.customer_id)
       OR (NEW.ip_address IS NOT NULL AND NEW.ip_address IS DISTINCT FROM OLD.ip_address)
       OR (NEW.user_agent <> '' AND NEW.user_agent IS DISTINCT FROM OLD.user_agent) THEN
        RAISE EXCEPTION 'policy: % rows are append-only', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Through the cursor: the "%" placeholders of RAISE are not query parameters.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(HELPERS)
        cursor.execute(GUARDS)
        for table in TRUNCATE_GUARDED:
            cursor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION onespace_refuse_unless_owner()"
            )
        cursor.execute(PSEUDONYMISE.replace("{schema}", f'"{schema}"'))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TRUNCATE_GUARDED:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        cursor.execute(DROP)
        cursor.execute(OLD_APPEND_ONLY)
        # The other apps' guards that call the helpers depend on this migration, so
        # they are unapplied already.
        cursor.execute(
            "DROP FUNCTION IF EXISTS onespace_refuse_unless_owner();"
            "DROP FUNCTION IF EXISTS onespace_in_purge(oid);"
            "DROP FUNCTION IF EXISTS onespace_is_owner(oid);"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0004_privacy_rights"),
    ]

    operations = [
        migrations.CreateModel(
            name="RetentionSetting",
            fields=[
                (
                    "key",
                    models.CharField(max_length=60, primary_key=True, serialize=False),
                ),
                ("value", models.CharField(max_length=60)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "retention setting",
                "verbose_name_plural": "retention settings",
            },
        ),
        migrations.AddField(
            model_name="erasurerecord",
            name="recorded_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                editable=False,
                verbose_name="received by the database at",
            ),
        ),
        migrations.RunPython(create, drop),
    ]
