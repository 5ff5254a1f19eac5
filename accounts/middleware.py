"""Gates every signed-in request: a verified email address and a password under 90 days old."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class AccountGateMiddleware:
    """Send unverified customers to the verification page and expired passwords to a change.

    Policy 1.1: after 90 days, nothing works until the password is changed (staff too).
    Only the pages needed to get through the gate, signing out and switching language
    stay open.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_prefixes: tuple[str, ...] | None = None

    def open_prefixes(self) -> tuple[str, ...]:
        if self._open_prefixes is None:
            self._open_prefixes = (
                reverse("accounts:logout"),
                reverse("accounts:verification-pending"),
                reverse("accounts:verify-email", args=["x"])[:-2],
                reverse("accounts:password-expired"),
                reverse("set_language"),
                reverse("healthz"),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
        return self._open_prefixes

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path_info.startswith(
            self.open_prefixes()
        ):
            if not user.is_staff and user.email_verified_at is None:
                return redirect("accounts:verification-pending")
            if user.password_expired:
                return redirect("accounts:password-expired")
        return self.get_response(request)
