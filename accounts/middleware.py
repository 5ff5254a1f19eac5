"""Gates every signed-in request: a verified email address, a password under 90 days old,
staff with a verified second factor, and sessions that end on time."""

import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Session keys: when the signed-in session started and when it was last used (epoch s).
STARTED_AT = "session_started_at"
LAST_SEEN_AT = "session_last_seen_at"
# The last-seen time is written at most this often, so a busy page costs no session
# write per request; idle timeouts are therefore exact to within this much.
LAST_SEEN_RESOLUTION = 60


class SessionLifetimeMiddleware:
    """End a staff session after 30 idle minutes or 12 hours, whichever comes first.

    Customers keep Django's session (two weeks) unless CUSTOMER_SESSION_IDLE_TIMEOUT or
    CUSTOMER_SESSION_MAX_AGE say otherwise. The limits are checked on the server; the
    cookie's own expiry follows the idle timeout so a browser forgets it too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def limits(is_staff: bool) -> tuple[timedelta, timedelta]:
        if is_staff:
            return settings.STAFF_SESSION_IDLE_TIMEOUT, settings.STAFF_SESSION_MAX_AGE
        return (
            settings.CUSTOMER_SESSION_IDLE_TIMEOUT,
            settings.CUSTOMER_SESSION_MAX_AGE,
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        idle, max_age = self.limits(user.is_staff)
        if not idle and not max_age:
            return self.get_response(request)
        session = request.session
        now = int(time.time())
        started = session.get(STARTED_AT)
        last_seen = session.get(LAST_SEEN_AT)
        if not isinstance(started, int) or not isinstance(last_seen, int):
            # A session from before these limits, or signed in just now.
            started = last_seen = now
            session[STARTED_AT] = now
            session[LAST_SEEN_AT] = now
        expired = (idle and now - last_seen > idle.total_seconds()) or (
            max_age and now - started > max_age.total_seconds()
        )
        if expired:
            return self.end_session(request)
        if now - last_seen >= LAST_SEEN_RESOLUTION:
            session[LAST_SEEN_AT] = now
        if idle and session.get("_session_expiry") != int(idle.total_seconds()):
            session.set_expiry(int(idle.total_seconds()))
        return self.get_response(request)

    @staticmethod
    def end_session(request: HttpRequest) -> HttpResponse:
        logout(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Your session has ended. Sign in again.")}, status=401
            )
        messages.info(request, _("Your session has ended. Please sign in again."))
        next_url = request.get_full_path() if request.method == "GET" else None
        return redirect_to_login(next_url or reverse(settings.LOGIN_REDIRECT_URL))


class AccountGateMiddleware:
    """Send each signed-in user to what must be fixed before anything else works.

    Policy 1.1: unverified customers go to the verification page, and after 90 days
    nothing works until the password is changed (staff too). Staff see every customer's
    personal data, so until their second factor is verified in this session every page
    but the second-factor one sends them there (docs/architecture.md: every staff path to
    personal data needs the second factor). Only the pages needed to get through the
    gate, signing out and switching language stay open.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_prefixes: tuple[str, ...] | None = None
        self._second_factor_path = ""

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
            if user.is_staff and not getattr(user, "is_verified", lambda: False)():
                if not self._second_factor_path:
                    self._second_factor_path = reverse("accounts:second-factor")
                if request.path_info != self._second_factor_path:
                    return self.second_factor(request)
        return self.get_response(request)

    @staticmethod
    def second_factor(request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _(
                        "Staff must confirm their second factor in the portal first."
                    )
                },
                status=403,
            )
        target = reverse("accounts:second-factor")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
