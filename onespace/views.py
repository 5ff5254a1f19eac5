"""Project-level pages that belong to no single app: the health check and the home page."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and the access log flushes; 503 otherwise.

    The access log counts as failing once this process's buffer has not flushed for
    ``AUDITLOG_HEALTH_FLUSH_SECONDS``: the proxy then stops sending it requests whose
    records could be lost.
    """
    from auditlog import buffer

    failing = buffer.failing_for()
    log = "failing" if failing > settings.AUDITLOG_HEALTH_FLUSH_SECONDS else "ok"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "database": "down", "access_log": log}, status=503
        )
    if log != "ok":
        return JsonResponse(
            {
                "status": "unavailable",
                "database": "up",
                "access_log": log,
                "failing_seconds": round(failing),
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "up", "access_log": log})


def home(request: HttpRequest) -> HttpResponse:
    """Public landing page; signed-in customers go straight to their own home."""
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("accounts:home")
    return render(request, "home.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A CSRF refusal in the visitor's language, not Django's English debug page."""
    return render(request, "403_csrf.html", status=403)
