"""Rate limits: per client address and per account, counted in the shared cache.

Forms that send email, queue work or store files (sign-up, password reset, resending
the verification link, data export, tickets, attachments) use ``rate_limit``, built on
django-ratelimit; the APIs use the DRF throttles below. Both count twice, once by the
client address (``onespace.client_ip``: a forged X-Forwarded-For changes nothing) and
once by the account (the signed-in user, the email address a form is about, or the
service token), so neither many accounts from one address nor one account from many
addresses gets past. Limits are ``settings.RATE_LIMITS``; the counters live in the
default cache, which every worker shares (the database, or Redis with REDIS_URL).

A refused request gets a 429 with ``Retry-After``. When the cache cannot be reached the
request goes through (and the error is logged): a limit protects the portal, it should
not take it down.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django_ratelimit.core import get_usage
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from onespace.client_ip import client_ip

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def address_key(group: str, request: HttpRequest) -> str:
    """The client address under the TRUSTED_PROXIES rule."""
    return "ip:" + (client_ip(request) or "unknown")


def account_key(group: str, request: HttpRequest) -> str:
    """The signed-in account, else the email address the form is about ('' for none)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    email = str(request.POST.get("email", "")).strip().lower()
    return f"email:{email}" if email else ""


def _retry_after(group: str, request: HttpRequest) -> int | None:
    """Count this request under each key; seconds to wait when any limit is reached."""
    rate = settings.RATE_LIMITS[group]
    waits = []
    for key in (address_key, account_key):
        if not key(group, request):
            continue
        usage = get_usage(
            request, group=group, key=key, rate=rate, method="POST", increment=True
        )
        if usage is not None and usage["should_limit"]:
            waits.append(max(int(usage["time_left"]), 1))
    return max(waits) if waits else None


def rate_limit(
    group: str, *, only_if: Callable[[HttpRequest], bool] | None = None
) -> Callable[[View], View]:
    """Refuse a view's POSTs with 429 beyond ``settings.RATE_LIMITS[group]``.

    ``only_if`` narrows what counts (e.g. only requests that carry files).
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if request.method == "POST" and (only_if is None or only_if(request)):
                try:
                    wait = _retry_after(group, request)
                except Exception:
                    logger.exception("rate limit %s not checked: cache error", group)
                    wait = None
                if wait is not None:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 page, in the portal layout and the visitor's language."""
    minutes = max(1, -(-retry_after // 60))
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class _FailOpenThrottle(ScopedRateThrottle):
    def get_rate(self) -> str | None:
        # settings.RATE_LIMITS, read per request (DRF's THROTTLE_RATES is frozen at
        # import), so the HTML and API limits live in one setting.
        return settings.RATE_LIMITS.get(self.scope or "")

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.exception("API throttle %s not checked: cache error", self.scope)
            return True


class ClientAddressThrottle(_FailOpenThrottle):
    """API calls per client address, for views that name a ``throttle_scope``."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {
            "scope": self.scope,
            "ident": "ip:" + (client_ip(request) or "unknown"),
        }


class CallerThrottle(_FailOpenThrottle):
    """API calls per caller: the service token, or the signed-in user."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = getattr(request.auth, "pk", None)
        if token is not None:
            ident = f"token:{token}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
