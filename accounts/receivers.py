"""Signal handlers of the accounts app."""

from typing import Any

from django.contrib.auth.models import Group, Permission

from accounts import roles

# Who may see and lift django-axes lockouts in admin (deleting the attempt unlocks).
UNLOCK_PERMISSIONS = {
    roles.SUPPORT: ["view_accessattempt", "delete_accessattempt"],
    roles.SECURITY_AUDITOR: [
        "view_accessattempt",
        "delete_accessattempt",
        "view_accessfailurelog",
    ],
}


def grant_unlock_permissions(**kwargs: Any) -> None:
    """After migrate: give the lockout permissions of axes to the staff groups that unlock."""
    for role, codenames in UNLOCK_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label="axes", codename__in=codenames
        )
        group.permissions.add(*permissions)
