"""Break-glass access (issue 17): a Security auditor enters a customer's node without a grant.

Only in an emergency (a security incident affecting the platform, or an order of a
court or authority recorded in the disclosure register), for at most four hours. The
declaration is emailed at once to the Privacy officers and, unless the order's
disclosure is restricted by law, to the customer; the customer also sees it on their
activity page. Node events of the declaring staff member on that node inside the
window are flagged as break-glass uses instead of violations. Every declaration waits
for a Privacy officer's review (accepted or escalated), kept append-only.

Shared code calls in here through one function each: ``excuse_violations`` (ingest's
rows), ``together``/``record_uses`` (the uses in the transaction of their events),
``emergency`` (access check, when no grant admits), ``check_answer`` (its API answer),
``for_customer_page``/``without_restricted`` (activity page, chart, export) and
``tell_customers`` (daily maintenance). ``looks_inside`` is the one place that says which
actions need a grant (today ``NodeEvent.INTERNAL_ACCESS``).
"""

import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.emails import send_to_user
from auditlog import node_actions
from auditlog.models import (
    BreakGlassAccess,
    BreakGlassReview,
    BreakGlassUse,
    Disclosure,
    NodeEvent,
)
from onespace.storable import unstorable_reason

REASON_MAX = BreakGlassAccess._meta.get_field("reason").max_length or 1000
NODE_ID_MAX = BreakGlassAccess._meta.get_field("node_id").max_length or 64


def looks_inside(action: str, actor_type: str, details: Any) -> bool:
    """Whether a staff node action reads, copies or replaces the node's contents (the
    table's "needs a grant"): break-glass covers these. An unknown action is never
    covered: it stays flagged for review until the table knows it."""
    return action in node_actions.BY_SLUG and node_actions.needs_grant(
        action, actor_type, details
    )


def in_group(user: Any, group: str) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.groups.filter(name=group).exists()
    )


def is_security_auditor(user: Any) -> bool:
    return in_group(user, roles.SECURITY_AUDITOR)


def is_privacy_officer(user: Any) -> bool:
    return in_group(user, roles.PRIVACY_OFFICER)


def _email_officers(template: str, context: dict[str, Any]) -> int:
    """Send ``template`` to every active Privacy officer; return how many were sent."""
    officers = list(roles.members(roles.PRIVACY_OFFICER))
    for officer in officers:
        send_to_user(officer, template, {**context, "officer": officer})
    return len(officers)


# --- Declaring ------------------------------------------------------------------------


def validate_declaration(
    *,
    staff: Any,
    customer: Any,
    node_id: str,
    reason_kind: str,
    reason: str,
    disclosure: Disclosure | None,
    hours: int,
) -> None:
    """Raise ValidationError (by field) unless this declaration may be made."""
    if not is_security_auditor(staff):
        raise PermissionDenied(
            _("Only Security auditors may declare break-glass access.")
        )
    errors: dict[str, str] = {}
    if not 1 <= hours <= BreakGlassAccess.MAX_HOURS:
        errors["hours"] = _("Break-glass access lasts 1 to 4 hours.")
    if (
        customer is None
        or not NodeEvent.objects.filter(node_id=node_id, customer=customer).exists()
    ):
        errors["node_id"] = _(
            "The control plane never reported this node for this customer."
        )
    if not reason.strip():
        errors["reason"] = _("Say why the access is needed.")
    for name, text in (("reason", reason), ("node_id", node_id)):
        # NUL bytes or lone surrogates: PostgreSQL cannot store them.
        problem = unstorable_reason(text)
        if problem:
            errors[name] = str(problem)
    if len(reason) > REASON_MAX or len(node_id) > NODE_ID_MAX:
        errors.setdefault("reason", _("Too long."))
    if reason_kind == BreakGlassAccess.Reason.ORDER:
        if disclosure is None:
            errors["disclosure"] = _(
                "An order must be recorded in the disclosure register first."
            )
        elif (
            customer is not None
            and not disclosure.customers.filter(pk=customer.pk).exists()
        ):
            errors["disclosure"] = _("This disclosure does not concern this customer.")
    elif reason_kind == BreakGlassAccess.Reason.INCIDENT:
        if disclosure is not None:
            errors["disclosure"] = _("An incident is not an order: leave this empty.")
    else:
        errors["reason_kind"] = _("Choose an incident or an order.")
    if errors:
        raise ValidationError(errors)


def record_declaration(access: BreakGlassAccess) -> BreakGlassAccess:
    """Save a validated declaration and tell the Privacy officers and the customer after commit."""
    from auditlog import tasks

    access.save()
    pk = access.pk
    transaction.on_commit(lambda: tasks.notify_break_glass_officers.enqueue(pk))
    transaction.on_commit(lambda: tasks.notify_break_glass_customer.enqueue(pk))
    return access


@transaction.atomic
def declare(
    staff: Any,
    *,
    customer: Any,
    node_id: str,
    reason_kind: str,
    reason: str,
    hours: int,
    disclosure: Disclosure | None = None,
    now: datetime | None = None,
) -> BreakGlassAccess:
    """Let Security auditor ``staff`` into ``node_id`` for ``hours`` (at most 4) from now."""
    validate_declaration(
        staff=staff,
        customer=customer,
        node_id=node_id,
        reason_kind=reason_kind,
        reason=reason,
        disclosure=disclosure,
        hours=hours,
    )
    now = now or timezone.now()
    return record_declaration(
        BreakGlassAccess(
            staff=staff,
            customer=customer,
            node_id=node_id,
            reason_kind=reason_kind,
            reason=reason,
            disclosure=disclosure,
            starts_at=now,
            ends_at=now + timedelta(hours=hours),
            declared_at=now,
        )
    )


# --- Telling --------------------------------------------------------------------------


def notify_officers(access: BreakGlassAccess) -> int:
    """Email every Privacy officer about a declaration; return how many were told."""
    sent = _email_officers("auditlog/email/break_glass_declared", {"access": access})
    BreakGlassAccess.objects.filter(pk=access.pk).update(
        officers_notified_at=timezone.now()
    )
    return sent


def is_restricted(access: BreakGlassAccess, day: date | None = None) -> bool:
    """Whether the law forbids telling the customer about ``access`` on ``day`` (default today)."""
    day = day or timezone.localdate()
    disclosure = access.disclosure
    return bool(
        disclosure
        and disclosure.is_restricted
        and disclosure.restricted_until
        and disclosure.restricted_until >= day
    )


def notify_customer(access: BreakGlassAccess, *, day: date | None = None) -> bool:
    """Email the customer about ``access`` once, unless a disclosure restriction applies."""
    if is_restricted(access, day) or access.customer_id is None:
        return False
    customer = get_user_model().objects.filter(pk=access.customer_id).first()
    if customer is None or not customer.is_active:
        return False
    # Claim the notice first: two runs (the task and the daily sweep) never both send.
    claimed = BreakGlassAccess.objects.filter(
        pk=access.pk, customer_notified_at__isnull=True
    ).update(customer_notified_at=timezone.now())
    if not claimed:
        return False
    send_to_user(customer, "auditlog/email/break_glass_customer", {"access": access})
    return True


def tell_customers(day: date | None = None) -> int:
    """Daily: tell customers of declarations not told yet (a restriction ended, a send failed)."""
    day = day or timezone.localdate()
    told = 0
    waiting = (
        BreakGlassAccess.objects.filter(customer_notified_at__isnull=True)
        .visible_to_customer(day)
        .select_related("disclosure")
    )
    for access in waiting:
        told += notify_customer(access, day=day)
    return told


# --- Ingest ---------------------------------------------------------------------------


def excuse_violations(rows: list[dict[str, Any]], result: Any) -> None:
    """Turn the batch's ungranted staff look-insides covered by a declaration into break-glass uses.

    ``rows`` are the ingest's prepared rows: a covered row stops being a violation and
    its event id goes to ``result.break_glass`` (event id -> declaration id) instead of
    ``result.violations``. One query per batch, and only when the batch has candidates.
    """
    candidates = [
        row
        for row in rows
        if row["is_violation"]
        and row["actor_type"] == NodeEvent.Actor.STAFF
        and row.get("grant_id") is None
        and looks_inside(row["action"], row["actor_type"], row.get("details"))
    ]
    if not candidates:
        return
    declared: dict[str, list[BreakGlassAccess]] = {}
    for access in BreakGlassAccess.objects.filter(
        node_id__in={row["node_id"] for row in candidates}
    ).order_by("pk"):
        declared.setdefault(access.node_id, []).append(access)
    excused: set[uuid.UUID] = set()
    for row in candidates:
        at = row["occurred_at"]
        for access in declared.get(row["node_id"], ()):
            if (
                str(access.staff_id) == str(row["actor_id"])
                and access.customer_id == row["customer_id"]
                and access.starts_at <= at < access.ends_at
            ):
                row["is_violation"] = False
                result.break_glass[row["event_id"]] = access.pk
                excused.add(row["event_id"])
                break
    result.violations[:] = [v for v in result.violations if v not in excused]


def together(result: Any) -> AbstractContextManager[Any]:
    """One transaction for a batch's events and its break-glass uses; nothing more without."""
    return transaction.atomic() if result.break_glass else nullcontext()


def record_uses(rows: list[dict[str, Any]], result: Any) -> None:
    """Store the batch's break-glass uses and email the Privacy officers after commit."""
    from auditlog import tasks

    if not result.break_glass:
        return
    by_id = {row["event_id"]: row for row in rows}
    BreakGlassUse.objects.bulk_create(
        [
            BreakGlassUse(
                access_id=access_id,
                event_id=event_id,
                occurred_at=by_id[event_id]["occurred_at"],
                action=by_id[event_id]["action"],
            )
            for event_id, access_id in result.break_glass.items()
            if event_id in by_id
        ],
        ignore_conflicts=True,
    )
    ids = [str(event_id) for event_id in result.break_glass]
    transaction.on_commit(lambda: tasks.notify_break_glass_uses.enqueue(ids))


def notify_uses(event_ids: list[str]) -> int:
    """Email every Privacy officer the node events that break-glass let through."""
    uses = list(
        BreakGlassUse.objects.filter(event_id__in=event_ids)
        .select_related("access")
        .order_by("occurred_at")
    )
    if not uses:
        return 0
    return _email_officers("auditlog/email/break_glass_used", {"uses": uses})


# --- Access check ---------------------------------------------------------------------


@dataclass(frozen=True)
class Emergency:
    """A break-glass declaration that lets a staff member in now (the check API's marker)."""

    id: int
    reason_kind: str
    ends_at: datetime


def emergency(
    node_id: str, staff_id: int, *, at: datetime | None = None
) -> Emergency | None:
    """The declaration in force that lets ``staff_id`` into ``node_id`` (one query).

    Only while they are active staff and still a Security auditor.
    """
    row = (
        BreakGlassAccess.objects.in_force(at)
        .filter(
            node_id=node_id,
            staff_id=staff_id,
            staff__is_staff=True,
            staff__is_active=True,
            staff__groups__name=roles.SECURITY_AUDITOR,
        )
        .order_by("-ends_at", "-pk")
        .values_list("pk", "reason_kind", "ends_at")
        .first()
    )
    if row is None:
        return None
    return Emergency(id=row[0], reason_kind=row[1], ends_at=row[2])


def check_answer(found: Any) -> dict[str, Any]:
    """The access-check API's answer for what ``services.check_access`` found."""
    if isinstance(found, Emergency):
        return {"permitted": True, "grant": None, "break_glass": found}
    return {"permitted": found is not None, "grant": found, "break_glass": None}


# --- The customer's activity page -----------------------------------------------------


def without_restricted(events: models.QuerySet, customer: Any) -> models.QuerySet:
    """``events`` (the customer's node events) less the break-glass uses under a restriction."""
    hidden = BreakGlassUse.objects.filter(
        access__customer=customer,
        access__in=BreakGlassAccess.objects.restricted_on(timezone.localdate()),
    ).values("event_id")
    return events.exclude(event_id__in=hidden)


def for_customer_page(events: models.QuerySet, customer: Any) -> models.QuerySet:
    """The customer's node events marked ``break_glass``; uses under a restriction left out."""
    return without_restricted(events, customer).annotate(
        break_glass=Exists(BreakGlassUse.objects.filter(event_id=OuterRef("event_id")))
    )


def visible_accesses(customer: Any, *, since: datetime) -> models.QuerySet:
    """The declarations on the customer's nodes they may see (none under a restriction)."""
    return (
        BreakGlassAccess.objects.filter(customer=customer, declared_at__gte=since)
        .visible_to_customer(timezone.localdate())
        .order_by("-declared_at", "-pk")
    )


# --- Review ---------------------------------------------------------------------------


def review(
    access: BreakGlassAccess, officer: Any, *, outcome: str, note: str
) -> BreakGlassReview:
    """Record a Privacy officer's review of ``access`` (a new row; earlier ones stay)."""
    if not is_privacy_officer(officer):
        raise PermissionDenied(_("Only Privacy officers review break-glass access."))
    if outcome not in BreakGlassReview.Outcome.values:
        raise ValidationError({"outcome": _("Choose accepted or escalated.")})
    if not note.strip():
        raise ValidationError({"note": _("Write a note for the record.")})
    return BreakGlassReview.objects.create(
        access=access, reviewer=officer, outcome=outcome, note=note
    )
