"""The one check every ``next`` parameter passes before the portal redirects to it.

A ``next`` that points off-site (``https://evil.example/``, ``//evil.example``,
``https:evil.example``, ``///evil.example``, ``http://ours@evil.example/``) would turn a
sign-in page into a phishing hop; only paths on this host (over HTTPS when the request
was) are followed, anything else falls back to ``default``.
"""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, candidate: str | None, default: str) -> str:
    """``candidate`` when it stays on this site, else ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
