"""Version 1 of the notice, database guards on PostgreSQL, the Privacy officer's permissions."""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parent.parent / "seed"

# Version 1 has been in force since the portal opened (2025-01-01, Asia/Bangkok).
VERSION_ONE_FROM = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)


def fingerprint_of(text_th, text_en):
    # Same rule as policy.models.fingerprint_of (migrations must not import app code).
    digest = hashlib.sha256()
    digest.update(text_th.encode())
    digest.update(b"\x00")
    digest.update(text_en.encode())
    return digest.hexdigest()


def load_version_one(apps, schema_editor):
    NoticeVersion = apps.get_model("policy", "NoticeVersion")
    text_th = (SEED / "privacy-policy.th.txt").read_text(encoding="utf-8")
    text_en = (SEED / "privacy-policy.en.txt").read_text(encoding="utf-8")
    NoticeVersion.objects.get_or_create(
        label="1",
        defaults={
            "text_th": text_th,
            "text_en": text_en,
            "summary_th": "ฉบับแรกของนโยบายส่วนบุคคล",
            "summary_en": "First version of the privacy policy.",
            "fingerprint": fingerprint_of(text_th, text_en),
            "created_at": VERSION_ONE_FROM,
            "published_at": VERSION_ONE_FROM,
            "effective_at": VERSION_ONE_FROM,
        },
    )


GUARDS = """
CREATE OR REPLACE FUNCTION policy_noticeversion_frozen() RETURNS trigger AS $$
BEGIN
    -- Policy clause 3: a published version is what was announced; it never changes.
    IF OLD.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'policy: published notice version % can never be changed or deleted', OLD.label;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_noticeversion_frozen
    BEFORE UPDATE OR DELETE ON policy_noticeversion
    FOR EACH ROW EXECUTE FUNCTION policy_noticeversion_frozen();

CREATE OR REPLACE FUNCTION policy_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'policy: % rows are append-only', TG_TABLE_NAME;
    END IF;
    -- Erasure may only detach the person (drop the link, the address, the browser);
    -- the pseudonym and everything else stay as recorded.
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

CREATE TRIGGER policy_acceptance_append_only
    BEFORE UPDATE OR DELETE ON policy_acceptance
    FOR EACH ROW EXECUTE FUNCTION policy_append_only();

CREATE TRIGGER policy_consentrecord_append_only
    BEFORE UPDATE OR DELETE ON policy_consentrecord
    FOR EACH ROW EXECUTE FUNCTION policy_append_only();
"""

DROP_GUARDS = """
DROP TRIGGER IF EXISTS policy_consentrecord_append_only ON policy_consentrecord;
DROP TRIGGER IF EXISTS policy_acceptance_append_only ON policy_acceptance;
DROP FUNCTION IF EXISTS policy_append_only();
DROP TRIGGER IF EXISTS policy_noticeversion_frozen ON policy_noticeversion;
DROP FUNCTION IF EXISTS policy_noticeversion_frozen();
"""


def create_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Through the cursor: the "%" placeholders of RAISE are not query parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(GUARDS)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_GUARDS)


PRIVACY_OFFICER_PERMISSIONS = [
    "add_noticeversion",
    "change_noticeversion",
    "delete_noticeversion",
    "view_noticeversion",
    "publish_noticeversion",
    "view_acceptance",
    "view_consentrecord",
    "view_noticedelivery",
]


def grant_privacy_officer(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made by post_migrate, after this runs; make them now.
    app_config = apps.get_app_config("policy")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Privacy officer")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="policy", codename__in=PRIVACY_OFFICER_PERMISSIONS
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0001_initial"),
        ("accounts", "0002_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_guards, drop_guards),
        migrations.RunPython(load_version_one, migrations.RunPython.noop),
        migrations.RunPython(grant_privacy_officer, migrations.RunPython.noop),
    ]
