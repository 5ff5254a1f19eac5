"""The one rule that decides a request's client address (docs/architecture.md).

The peer address is believed, unless the peer is a reverse proxy listed in
``TRUSTED_PROXIES``; then the right-most ``X-Forwarded-For`` entry that is not itself
a trusted proxy is the client. A client talking to us directly can therefore send any
X-Forwarded-For it likes and it changes nothing. django-axes, the access log,
acceptance records and rate limits all call this function.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.scope_id is not None:
            # "fe80::1%eth0": the zone names an interface of the host that saw the
            # packet; no address column (PostgreSQL's inet) can store it.
            return ipaddress.IPv6Address(int(address))
    return address


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> tuple[str | None, str]:
    """The client address of ``request`` (as ``client_ip``) and the text it was read from.

    The audit log keeps that text when it differs from the address (a zoned IPv6
    address, a peer that is no address at all).
    """
    sent = request.META.get("REMOTE_ADDR", "")
    peer = _parse(sent)
    if peer is None:
        return None, sent
    if not _is_trusted(peer):
        return str(peer), sent
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A garbled entry means we cannot tell who sent it: stop at the last
            # address we can vouch for rather than guess further left.
            break
        if not _is_trusted(address):
            return str(address), hop.strip()
        peer, sent = address, hop.strip()
    return str(peer), sent


def client_ip(request: HttpRequest) -> str | None:
    """Return the client address of ``request`` under the TRUSTED_PROXIES rule."""
    return client_address(request)[0]


def axes_client_ip(request: HttpRequest) -> str:
    """django-axes hook (AXES_CLIENT_IP_CALLABLE)."""
    return client_ip(request) or ""
