"""django-axes handler that counts failures inside a window (issue 3: 5 in 15 minutes).

Axes itself has no failure window: its AXES_COOLOFF_TIME both decides which failures
still count (those since the pair's last failure minus the cool-off) and how long a
lock lasts, so five failures spread over two hours would also lock. This handler
keeps axes' tables and admin, and decides a lock from the per-failure log instead:
an account and address pair is locked when ``AXES_FAILURE_LIMIT`` failures fell within
``LOCKOUT_FAILURE_WINDOW``, for ``AXES_COOLOFF_TIME`` after the last of them.
Deleting the pair's access attempt in admin (the unlock) forgets those failures.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone


class FailureWindowHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler whose lock needs N failures within a sliding window."""

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        # Axes asks for the failure count before it logs the failure being handled.
        if request is not None:
            request.accounts_failure_pending = True  # type: ignore[attr-defined]
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            if request is not None:
                request.accounts_failure_pending = False  # type: ignore[attr-defined]

    def get_failures(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        window = settings.LOCKOUT_FAILURE_WINDOW
        cool_off = get_cool_off(request) or window
        limit = get_failure_limit(request, credentials)
        times = sorted(
            AccessFailureLog.objects.filter(
                username=get_client_username(request, credentials),
                ip_address=getattr(request, "axes_ip_address", None),
                attempt_time__gt=now - cool_off - window,
                attempt_time__lte=now,
            ).values_list("attempt_time", flat=True)
        )
        if getattr(request, "accounts_failure_pending", False):
            times.append(now)
        for last in range(limit - 1, len(times)):
            if (
                times[last] - times[last - limit + 1] <= window
                and now < times[last] + cool_off
            ):
                return limit
        return sum(1 for time in times if time > now - window)

    def post_delete_access_attempt(
        self, instance: AccessAttempt, **kwargs: Any
    ) -> None:
        # Unlock in admin, reset on success and expiry all delete the attempt: the
        # failures it summed go with it.
        AccessFailureLog.objects.filter(
            username=instance.username,
            ip_address=instance.ip_address,
            attempt_time__lte=instance.attempt_time,
        ).delete()
