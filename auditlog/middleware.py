"""Access-log middleware (policy 1.2.2): one record per request, written in bulk later."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import empty

from accounts.log_redaction import redact
from auditlog import buffer
from onespace.storable import storable_text

logger = logging.getLogger(__name__)

USER_AGENT_MAX = 512
PATH_MAX = 1000


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id, without adding a query to the request.

    The user (or at least the session) is almost always loaded by the time the
    response is ready; when neither is, the request is logged without a user rather
    than paying for a session lookup.
    """
    user = getattr(request, "user", None)
    if user is not None:
        wrapped = getattr(user, "_wrapped", user)
        if wrapped is not empty:
            if getattr(wrapped, "is_authenticated", False) and isinstance(
                getattr(wrapped, "pk", None), int
            ):
                return wrapped.pk
            return None
    session = getattr(request, "session", None)
    if session is not None and hasattr(session, "_session_cache"):
        value = session.get(SESSION_KEY)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None
    return None


class AccessLogMiddleware:
    """Record time, user, client IP, browser, method, path, status and duration of each request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Whole path segments: "/healthz" skips "/healthz" and "/healthz/...", never
        # "/healthz-x", which would otherwise be a request nobody could see.
        bases = [path.rstrip("/") for path in settings.AUDITLOG_SKIP_PATHS]
        self.skip_exact = frozenset(bases)
        self.skip_under = tuple(f"{base}/" for base in bases)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path in self.skip_exact or path.startswith(self.skip_under):
            return self.get_response(request)
        started = time.perf_counter()
        occurred_at = timezone.now()
        response = self.get_response(request)
        try:
            buffer.record(
                "access",
                {
                    "occurred_at": occurred_at,
                    "user_id": _user_id(request),
                    # The client address is worked out from these at flush time.
                    "remote_addr": request.META.get("REMOTE_ADDR", ""),
                    "forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR", ""),
                    # Storable text (NUL and lone surrogates escaped) here, so one
                    # hostile request cannot make the bulk write of others fail.
                    "user_agent": storable_text(
                        request.META.get("HTTP_USER_AGENT", "")
                    )[:USER_AGENT_MAX],
                    "method": storable_text(request.method or "")[:10],
                    # Never the query string (it carries tokens and personal data),
                    # nor the token of an emailed verification or reset link.
                    "path": storable_text(redact(request.path))[:PATH_MAX],
                    "status": response.status_code,
                    "duration_ms": int((time.perf_counter() - started) * 1000),
                },
            )
        except Exception:
            # A failing log write never turns a page into an error.
            logger.exception("access log record failed")
        return response
