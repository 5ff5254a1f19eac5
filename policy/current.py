"""Which notice version is in force and which is scheduled, without a query per request.

The published versions (a handful of small rows) are kept in a process cache. Each
entry carries its effective date, so the version in force is worked out from the clock
on every call: a scheduled version takes over at its effective date by itself, without
a restart or a new query. The cache is dropped when a version is published in this
process, and refreshed at least every ``TTL`` seconds so that other processes see a
publication too (a new version only takes effect after the notice period, so a minute
of delay is harmless).
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

TTL = 60.0


@dataclass(frozen=True)
class PublishedVersion:
    """What the gate and the banner need to know about one published version."""

    pk: int
    label: str
    fingerprint: str
    effective_at: datetime


_lock = threading.Lock()
_cache: tuple[float, tuple[PublishedVersion, ...]] | None = None


def published() -> tuple[PublishedVersion, ...]:
    """Published versions, oldest effective date first (cached)."""
    global _cache
    cached = _cache
    if cached is not None and time.monotonic() - cached[0] < TTL:
        return cached[1]
    from policy.models import NoticeVersion

    versions = tuple(
        PublishedVersion(
            pk=row.pk,
            label=row.label,
            fingerprint=row.fingerprint,
            effective_at=row.effective_at,
        )
        for row in NoticeVersion.objects.published()
        .order_by("effective_at")
        .only("pk", "label", "fingerprint", "effective_at")
        if row.effective_at is not None
    )
    with _lock:
        _cache = (time.monotonic(), versions)
    return versions


def clear() -> None:
    """Forget the cached versions (after a publication, and between tests)."""
    global _cache
    with _lock:
        _cache = None


def in_force(now: datetime | None = None) -> PublishedVersion | None:
    """The version in force at ``now``: the latest whose effective date has come."""
    now = now or timezone.now()
    current = None
    for version in published():
        if version.effective_at <= now:
            current = version
    return current


def scheduled(now: datetime | None = None) -> PublishedVersion | None:
    """The next version to take effect after ``now``, if one is published."""
    now = now or timezone.now()
    for version in published():
        if version.effective_at > now:
            return version
    return None
