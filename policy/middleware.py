"""The re-acceptance gate (policy clause 3: the user agrees to the terms in force)."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from policy import current
from policy.models import Acceptance

SESSION_KEY = "policy_accepted"

# The ways out a gated customer keeps (privacy-rights issue): take their data with them,
# or close the account. The gate links to them once these URL names exist.
EXPORT_VIEW = "policy:export"
CLOSE_ACCOUNT_VIEW = "policy:close-account"

# Pages a gated customer can still reach: the notice itself, the gate, signing out.
OPEN_VIEWS = frozenset(
    {
        "policy:notice",
        "policy:version-list",
        "policy:version-detail",
        "policy:scheduled",
        "policy:version-diff",
        "policy:gate",
        "policy:accept",
        EXPORT_VIEW,
        CLOSE_ACCOUNT_VIEW,
        "accounts:logout",
        "set_language",
        "healthz",
    }
)


def accepted_in_session(request: HttpRequest, version_pk: int) -> bool:
    """Whether this signed-in session already knows ``version_pk`` is accepted."""
    remembered = request.session.get(SESSION_KEY)
    return (
        isinstance(remembered, dict)
        and remembered.get("user") == request.user.pk
        and version_pk in remembered.get("versions", [])
    )


def remember_accepted(request: HttpRequest, version_pk: int) -> None:
    remembered = request.session.get(SESSION_KEY)
    if not isinstance(remembered, dict) or remembered.get("user") != request.user.pk:
        remembered = {"user": request.user.pk, "versions": []}
    if version_pk not in remembered["versions"]:
        remembered["versions"] = [*remembered["versions"], version_pk][-5:]
    request.session[SESSION_KEY] = remembered


def needs_acceptance(request: HttpRequest) -> current.PublishedVersion | None:
    """The version in force that this signed-in customer still has to accept, if any.

    Costs no query once the session remembers the acceptance: the versions come from
    the process cache and the user was loaded by the authentication middleware.
    """
    user: Any = request.user
    if not user.is_authenticated or user.is_staff:
        return None
    version = current.in_force()
    if version is None:
        return None
    # A version already in force when the customer joined was accepted at sign-up
    # (the form refuses an account without it); the gate is for later versions.
    if version.effective_at <= user.date_joined:
        return None
    if accepted_in_session(request, version.pk):
        return None
    if Acceptance.objects.filter(customer=user, version_id=version.pk).exists():
        remember_accepted(request, version.pk)
        return None
    return version


class NoticeGateMiddleware:
    """Until a customer accepts the version in force, only the gate and the notice work."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name in OPEN_VIEWS:
            return None
        if match.view_name in getattr(settings, "POLICY_GATE_OPEN_VIEWS", ()):
            return None
        version = needs_acceptance(request)
        if version is None:
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _(
                        "The privacy notice has changed. Sign in to the portal in a "
                        "browser and accept version %(label)s before using the API."
                    )
                    % {"label": version.label},
                    "notice_version": version.label,
                    "accept_url": request.build_absolute_uri(reverse("policy:gate")),
                },
                status=403,
            )
        gate = reverse("policy:gate")
        if request.method == "GET":
            gate += "?" + urlencode({"next": request.get_full_path()})
        return redirect(gate)
