"""Breaches (PDPA s.37(4)): record one, tell the affected customers, watch the 72-hour clock,
open candidates from access violations and lockout spikes.

The 72-hour clock: while the regulator has not been told, every Privacy officer is emailed
24, 48 and 66 hours after awareness (``BreachAlert`` keeps each alert once). Each alert is a
task deferred to its hour when the breach is recorded (the database queue holds it), and
the daily maintenance sends any that are due and missing, so a stopped worker delays an
alert by at most a day instead of losing it.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.emails import send_to_user
from accounts.models import User
from policy.history import record_version
from policy.models import (
    Breach,
    BreachAlert,
    BreachNotice,
)
from policy.registry import registry
from policy.services.mail import send_policy_email

# PDPA s.37(4): the regulator within 72 hours; alerts leave time to act.
ALERT_HOURS = (24, 48, 66)


def record_breach(*, by: Any = None, **fields: Any) -> Breach:
    """Record a breach (its version 1); the detection time and the moment of awareness are required."""
    if not fields.get("detected_at"):
        raise ValidationError({"detected_at": _("Say when the breach was detected.")})
    fields.setdefault("became_aware_at", fields["detected_at"])
    customers = fields.pop("affected_customers", None)
    breach = Breach(**fields)
    breach.full_clean(exclude=["affected_customers"])
    breach.save()
    if customers is not None:
        breach.affected_customers.set(customers)
    record_version(breach, by=by)
    schedule_breach_alerts(breach)
    return breach


def notify_breach(breach: Breach) -> int:
    """Queue one email per affected active customer not yet told; return how many were queued."""
    from policy.tasks import send_breach_notice

    told = BreachNotice.objects.filter(breach=breach).values("customer_id")
    ids = list(
        breach.affected_customers.filter(is_active=True)
        .exclude(pk__in=told)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        transaction.on_commit(
            lambda pk=pk: send_breach_notice.enqueue(breach.pk, pk)  # type: ignore[misc]
        )
    return len(ids)


def send_breach_notice(breach: Breach, customer: User) -> bool:
    """Email ``customer`` about ``breach`` in their language, once."""
    try:
        with transaction.atomic():
            _notice, created = BreachNotice.objects.get_or_create(
                breach=breach, customer=customer
            )
            if created:
                categories = [
                    registry[key].name
                    for key in breach.categories
                    if key in {c.key for c in registry}
                ]
                send_policy_email(
                    customer,
                    "breach_notice",
                    {"breach": breach, "categories": categories},
                )
    except IntegrityError:
        return False
    return created


def _officers() -> Any:
    return roles.members(roles.PRIVACY_OFFICER)


def schedule_breach_alerts(breach: Breach) -> None:
    """Queue one deferred task per alert hour (only a backend that can defer holds them)."""
    from policy.tasks import alert_breach_clock

    if not alert_breach_clock.get_backend().supports_defer:
        return
    now = timezone.now()
    for hours in ALERT_HOURS:
        at = breach.became_aware_at + timedelta(hours=hours)
        if at > now:
            transaction.on_commit(
                lambda at=at: alert_breach_clock.using(run_after=at).enqueue(breach.pk)  # type: ignore[misc]
            )


def send_breach_alerts(
    breach: Breach | None = None, *, now: datetime | None = None
) -> int:
    """Email the Privacy officers for every alert hour passed while the regulator is not told."""
    now = now or timezone.now()
    breaches = Breach.objects.filter(
        notified_regulator_at__isnull=True,
        dismissed_at__isnull=True,
        became_aware_at__gt=now - timedelta(days=30),
    )
    if breach is not None:
        breaches = breaches.filter(pk=breach.pk)
    sent = 0
    for row in breaches:
        passed = [
            hours
            for hours in ALERT_HOURS
            if now >= row.became_aware_at + timedelta(hours=hours)
        ]
        if not passed:
            continue
        done = set(row.alerts.values_list("hours", flat=True))
        missing = [hours for hours in passed if hours not in done]
        if not missing:
            continue
        hours = max(missing)  # one email says where the clock is now
        try:
            with transaction.atomic():
                for each in missing:
                    BreachAlert.objects.create(breach=row, hours=each, sent_at=now)
        except IntegrityError:
            continue  # another worker sent it
        for officer in _officers():
            send_to_user(
                officer,
                "policy/email/breach_clock",
                {
                    "breach": row,
                    "hours": hours,
                    "hours_left": max(
                        int(row.time_left(now).total_seconds() // 3600), 0
                    ),
                    "site": settings.SITE_URL.rstrip("/"),
                },
            )
            sent += 1
    return sent


def open_breach_candidate(
    *,
    source: str,
    description: str,
    customers: Any = (),
    now: datetime | None = None,
) -> Breach:
    """Open a breach candidate for the Privacy officer to confirm or dismiss (once a day per source)."""
    now = now or timezone.now()
    existing = Breach.objects.filter(
        is_candidate=True,
        dismissed_at__isnull=True,
        source=source,
        created_at__gte=now - timedelta(days=1),
    ).first()
    if existing is not None:
        return existing
    customers = list(customers)
    breach = record_breach(
        detected_at=now,
        became_aware_at=now,
        description=description,
        people_affected=len(customers),
        affected_customers=customers,
        risk=Breach.Risk.RISK,
        is_candidate=True,
        source=source,
        created_at=now,
    )
    officers = list(_officers())

    def tell_officers() -> None:
        for officer in officers:
            send_to_user(
                officer,
                "policy/email/breach_candidate",
                {"breach": breach, "site": settings.SITE_URL.rstrip("/")},
            )

    transaction.on_commit(tell_officers)
    return breach


def count_lockout(*, now: datetime | None = None) -> Breach | None:
    """Count one sign-in lockout; a spike (BREACH_CANDIDATE_LOCKOUTS within the window)
    opens a breach candidate: many accounts attacked at once may mean leaked passwords."""
    limit = settings.BREACH_CANDIDATE_LOCKOUTS
    if not limit:
        return None
    now = now or timezone.now()
    window = settings.BREACH_CANDIDATE_LOCKOUT_WINDOW
    slot = int(now.timestamp() // window.total_seconds())
    key = f"policy:lockouts:{slot}"
    cache.add(key, 0, timeout=int(window.total_seconds()) * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        return None
    if count != limit:
        return None
    return open_breach_candidate(
        source="lockout-spike",
        description=str(
            _(
                "%(count)d sign-in lockouts within %(minutes)d minutes: check whether "
                "passwords leaked (opened automatically)."
            )
            % {"count": count, "minutes": int(window.total_seconds() // 60)}
        ),
        now=now,
    )
