"""Project-level pages that belong to no single app: health check, home, staff dashboard."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import staff_second_factor_required
from onespace import dashboard as usage


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


def home(request: HttpRequest) -> HttpResponse:
    """Public landing page; signed-in customers go straight to their own home."""
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("accounts:home")
    return render(request, "home.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A CSRF refusal in the visitor's language, not Django's English debug page."""
    return render(request, "403_csrf.html", status=403)


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
