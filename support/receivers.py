"""Reactions of the support app: staff-group permissions after migrate, file clean-up."""

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import storages
from django.db import transaction

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


def delete_attachment_file(sender: type, instance: Any, **kwargs: Any) -> None:
    """Remove the stored file once the row's deletion commits (erasure, purge, cascades)."""
    name = instance.stored_name
    if name:
        transaction.on_commit(lambda: storages["private"].delete(name))
