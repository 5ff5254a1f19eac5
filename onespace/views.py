"""Project-level pages that belong to no single app: the health check and the home page."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
