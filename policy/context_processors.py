"""Template context for the banner that announces a scheduled notice version."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from policy import current
from policy.middleware import accepted_in_session, remember_accepted
from policy.models import Acceptance

SCHEDULED_CHECKED_KEY = "policy_scheduled_checked"


def _banner(request: HttpRequest) -> dict[str, Any] | None:
    scheduled = current.scheduled()
    if scheduled is None:
        return None
    in_force = current.in_force()
    user: Any = getattr(request, "user", None)
    can_accept = bool(user is not None and user.is_authenticated and not user.is_staff)
    if can_accept and hasattr(request, "session"):
        if accepted_in_session(request, scheduled.pk):
            can_accept = False
        elif request.session.get(SCHEDULED_CHECKED_KEY) != [user.pk, scheduled.pk]:
            # Asked once per session and version; accepting through the banner updates it.
            if Acceptance.objects.filter(
                customer=user, version_id=scheduled.pk
            ).exists():
                remember_accepted(request, scheduled.pk)
                can_accept = False
            request.session[SCHEDULED_CHECKED_KEY] = [user.pk, scheduled.pk]
    return {
        "version": scheduled,
        "previous": in_force,
        "can_accept": can_accept,
    }


def notice(request: HttpRequest) -> dict[str, Any]:
    """``policy_banner`` (scheduled version, whether to offer accepting) and ``policy_in_force``."""
    return {
        "policy_banner": SimpleLazyObject(lambda: _banner(request) or {}),
        "policy_in_force": SimpleLazyObject(lambda: current.in_force() or {}),
    }
