from typing import Any

from django.contrib.auth.models import Group, Permission

from accounts import roles

# What the Finance group may do in billing (also granted by migration 0002).
FINANCE_PERMISSIONS = (
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
    "view_etaxxml",
)


def grant_finance_permissions(
    sender: Any, using: str = "default", **kwargs: Any
) -> None:
    """After migrate (and after a test flush), Finance holds the billing permissions."""
    group, _created = Group.objects.using(using).get_or_create(name=roles.FINANCE)
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="billing", codename__in=FINANCE_PERMISSIONS
    )
    group.permissions.add(*permissions)
