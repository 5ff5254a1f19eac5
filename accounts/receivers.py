"""Signal handlers of the accounts app."""

import time
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.http import HttpRequest

from accounts import roles
from accounts.middleware import LAST_SEEN_AT, STARTED_AT

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


def start_session_clock(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """On sign-in: the session's absolute and idle lifetimes count from now."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_AT] = now
        request.session[LAST_SEEN_AT] = now
