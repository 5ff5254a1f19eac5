"""Every model and field of the portal's apps has a Thai name (the admin shows them)."""

from django.apps import apps
from django.utils import translation

OUR_APPS = ("accounts", "policy", "auditlog", "billing", "support")
# Names that are the same word in Thai text.
SAME_IN_THAI = {"ID"}


def _untranslated(name: object) -> bool:
    with translation.override("en"):
        english = str(name)
    with translation.override("th"):
        thai = str(name)
    return english == thai and english not in SAME_IN_THAI


def untranslated_names() -> list[str]:
    found = []
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            opts = model._meta
            for option in ("verbose_name", "verbose_name_plural"):
                if _untranslated(getattr(opts, option)):
                    found.append(f"{opts.label} {option} {getattr(opts, option)}")
            for field in opts.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # the other side's name for a relation
                if _untranslated(getattr(field, "verbose_name", "")):
                    found.append(f"{opts.label}.{field.name} {field.verbose_name}")
    return found


def test_every_model_and_field_name_has_a_thai_translation():
    assert untranslated_names() == []


def test_the_walk_sees_every_field():
    seen = {
        f"{model._meta.label}.{field.name}"
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.get_fields()
    }
    assert {
        "accounts.PasswordHistory.password",
        "auditlog.PurgeCheckpoint.last_hash",
        "billing.Document.seller_name",
        "support.Attachment.stored_name",
    } <= seen
