"""Project-level pages that belong to no single app: health check, home, error pages,
staff dashboard."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import staff_second_factor_required
from onespace import dashboard as usage


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


# Error pages (handler400/403/404/500 in onespace/urls.py): the portal's layout in the
# visitor's language with a way home, or the APIs' JSON error shape under /api/.


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    return render(request, f"{status}.html", status=status)


def bad_request(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """400: a request the portal cannot read (a malformed Host, a broken form post)."""
    return _error(request, 400, _("The request is not valid."))


def permission_denied(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """403: the signed-in account may not open this page."""
    return _error(request, 403, _("You do not have permission to perform this action."))


def page_not_found(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """404: every wrong link, in the portal's layout instead of Django's bare page."""
    return _error(request, 404, _("Not found."))


def server_error(request: HttpRequest) -> HttpResponse:
    """500: rendered without context processors, so a broken database cannot fail it too."""
    if _is_api(request):
        return JsonResponse(
            {"detail": _("Something went wrong on our side. Please try again later.")},
            status=500,
        )
    return HttpResponseServerError(loader.render_to_string("500.html"))


@staff_second_factor_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Usage at a glance for the last 30 or 90 days (mounted inside admin, which
    already asks for staff and a verified second factor)."""
    if not admin.site.has_dashboard_permission(request):  # type: ignore[attr-defined]
        raise PermissionDenied
    try:
        period = int(request.GET.get("days", usage.DEFAULT_PERIOD))
    except ValueError:
        period = usage.DEFAULT_PERIOD
    if period not in usage.PERIODS:
        period = usage.DEFAULT_PERIOD
    context = {
        **admin.site.each_context(request),
        "title": _("Usage dashboard"),
        "dashboard": usage.build(period),
        "periods": usage.PERIODS,
    }
    return render(request, "admin/dashboard.html", context)
