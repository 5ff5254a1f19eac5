"""VAT 7 % (Revenue Code s.80, reduced rate extended by royal decree) and Finance's permissions."""

import datetime
from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE = "Finance"
FINANCE_PERMISSIONS = [
    "view_billingprofile",
    "view_document",
    "add_document",
    "change_document",
    "delete_document",
    "issue_document",
    "view_documentline",
    "add_documentline",
    "change_documentline",
    "delete_documentline",
    "view_payment",
    "add_payment",
    "change_payment",
    "view_vatrate",
]


def seed(apps, schema_editor):
    VatRate = apps.get_model("billing", "VatRate")
    if not VatRate.objects.exists():
        VatRate.objects.create(rate=Decimal("7.00"), valid_from=datetime.date(1999, 4, 1))
    # Permissions are created by post_migrate; create ours now to grant them.
    app_config = apps.get_app_config("billing")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=FINANCE)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="billing", codename__in=FINANCE_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
