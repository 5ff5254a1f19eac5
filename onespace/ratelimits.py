"""Rate limits: per client address and per account, counted in the shared cache.

Forms that send email, queue work or store files (sign-up, password reset, resending
the verification link, data export, tickets, attachments) use ``rate_limit``; the APIs
use the DRF throttles below. Both count with django-ratelimit, twice: once by the
client address (``onespace.client_ip``: a forged X-Forwarded-For changes nothing) and
once by the account (the signed-in user, the email address a form is about, or the
service token), so neither many accounts from one address nor one account from many
addresses gets past. Limits are ``settings.RATE_LIMITS``; the counters live in the
default cache, which every worker shares (the database, or Redis with REDIS_URL), under
hashed keys, so no address or email is stored there in the clear.

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
from rest_framework.throttling import BaseThrottle

from onespace import metrics
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
                    metrics.RATE_LIMITED.labels(group).inc()
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


class _Throttle(BaseThrottle):
    """A DRF throttle for views that name a ``throttle_scope`` (a key of RATE_LIMITS).

    It counts in django-ratelimit's fixed windows, like the forms: one small counter per
    caller and window. (DRF's own throttles keep a list of every request time in the
    window, which for thousands of calls a minute is a large value rewritten per call.)
    """

    def ident(self, request: Request) -> str:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        scope = getattr(view, "throttle_scope", None)
        rate = settings.RATE_LIMITS.get(scope or "")
        ident = self.ident(request)
        if rate is None or not ident:
            return True
        try:
            usage = get_usage(
                request,
                group=f"api:{scope}",
                key=lambda group, request: ident,
                rate=rate,
                increment=True,
            )
        except Exception:
            logger.exception("API rate limit %s not checked: cache error", scope)
            return True
        if usage is not None and usage["should_limit"]:
            self.retry_after = max(int(usage["time_left"]), 1)
            metrics.RATE_LIMITED.labels(f"api:{scope}").inc()
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)


class ClientAddressThrottle(_Throttle):
    """API calls per client address (onespace.client_ip)."""

    def ident(self, request: Request) -> str:
        return "ip:" + (client_ip(request) or "unknown")


class CallerThrottle(_Throttle):
    """API calls per caller: the service token, or the signed-in user."""

    def ident(self, request: Request) -> str:
        token = getattr(request.auth, "pk", None)
        if token is not None:
            return f"token:{token}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return ""
