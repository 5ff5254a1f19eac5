"""Give the staff groups (accounts.roles) their support permissions after each migrate."""

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.models import Group, Permission

from accounts import roles

GROUP_PERMISSIONS = {
    roles.SUPPORT: (
        "view_ticket",
        "change_ticket",
        "view_message",
        "add_message",
        "change_message",
        "view_attachment",
        "view_statistics",
    ),
    # The privacy officer answers PDPA requests and sees only those tickets.
    roles.PRIVACY_OFFICER: ("work_privacy_request", "view_statistics"),
}


def grant_group_permissions(
    sender: AppConfig, using: str = "default", **kwargs: Any
) -> None:
    """Create the groups if needed and add the support permissions; idempotent."""
    for group_name, codenames in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=group_name)
        permissions = Permission.objects.using(using).filter(
            content_type__app_label="support", codename__in=codenames
        )
        group.permissions.add(*permissions)
