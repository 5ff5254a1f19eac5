"""Legal holds: place, release, and the question purge and erasure ask of every row.

``held_q(category)`` is the hold test in Python (a ``Q`` over the category's rows, or
None when no hold in force touches the category); ``policy_held()`` is the same test
in SQL on PostgreSQL (policy migration 0007) for the database's own purges.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from policy.models import LegalHold, LegalHoldEvent
from policy.models.holds import MAX_HOLD_DAYS
from policy.registry import Category, registry

HOLD_ROLES = (roles.PRIVACY_OFFICER, roles.SECURITY_AUDITOR)


def can_place_holds(user: Any) -> bool:
    """Only the Privacy officer and the Security auditor place or release holds."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_staff
        and (user.is_superuser or user.groups.filter(name__in=HOLD_ROLES).exists())
    )


def _state(hold: LegalHold) -> dict[str, Any]:
    return {
        "customer_id": hold.customer_id,
        "node_id": hold.node_id,
        "category": hold.category,
        "data_from": hold.data_from.isoformat() if hold.data_from else None,
        "data_until": hold.data_until.isoformat() if hold.data_until else None,
        "reason": hold.reason,
        "order_reference": hold.order_reference,
        "ends_on": hold.ends_on.isoformat(),
        "released_at": hold.released_at.isoformat() if hold.released_at else None,
        "release_reason": hold.release_reason,
    }


def validate_hold(hold: LegalHold, *, today: date | None = None) -> None:
    """Field errors of a new hold, in the staff member's language."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if not (hold.customer_id or hold.node_id or hold.category):
        errors["customer"] = _("Name a customer, a node or a category to hold.")
    if hold.category and hold.category not in {c.key for c in registry}:
        errors["category"] = _("No category of the registry has this key.")
    if hold.ends_on is None or hold.ends_on < today:
        errors["ends_on"] = _("The end date must be today or later.")
    elif hold.ends_on > today + timedelta(days=MAX_HOLD_DAYS):
        errors["ends_on"] = _(
            "A hold lasts at most two years; place a new one after that."
        )
    if hold.data_from and hold.data_until and hold.data_from > hold.data_until:
        errors["data_until"] = _("The end of the data range is before its start.")
    if not (hold.reason or "").strip():
        errors["reason"] = _("Say why the data is held.")
    if not (hold.order_reference or "").strip():
        errors["order_reference"] = _("Give the reference of the order or request.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def place_hold(by: Any, **fields: Any) -> LegalHold:
    """Place a hold; the placement is recorded in the hold's history."""
    if not can_place_holds(by):
        raise PermissionDenied(
            _(
                "Only the Privacy officer or the Security auditor may place a legal hold."
            )
        )
    hold = LegalHold(placed_by=by, **fields)
    validate_hold(hold)
    hold.save()
    LegalHoldEvent.objects.create(
        hold=hold, action=LegalHoldEvent.Action.PLACED, by=by, state=_state(hold)
    )
    return hold


@transaction.atomic
def release_hold(hold: LegalHold, *, by: Any, reason: str) -> LegalHold:
    """Release a hold (recorded, never deleted); purge and erasure may then proceed."""
    if not can_place_holds(by):
        raise PermissionDenied(
            _(
                "Only the Privacy officer or the Security auditor may release a legal hold."
            )
        )
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise ValidationError(_("This hold was already released."))
    if not reason.strip():
        raise ValidationError({"release_reason": _("Say why the hold is released.")})
    hold.released_at = timezone.now()
    hold.released_by = by
    hold.release_reason = reason.strip()
    hold.save(update_fields=["released_at", "released_by", "release_reason"])
    LegalHoldEvent.objects.create(
        hold=hold, action=LegalHoldEvent.Action.RELEASED, by=by, state=_state(hold)
    )
    return hold


def node_field(category: type[Category]) -> str:
    """The column naming a node in the category's rows, if any."""
    explicit = getattr(category, "node_field", None)
    if explicit is not None:
        return str(explicit)
    names = {field.name for field in category.model._meta.get_fields()}
    return "node_id" if "node_id" in names else ""


def held_q(category: type[Category], now: datetime | None = None) -> Q | None:
    """Rows of ``category`` that a hold in force keeps, as a ``Q``; None: nothing held."""
    holds = LegalHold.objects.active(now).filter(
        Q(category="") | Q(category=category.key)
    )
    combined: Q | None = None
    for hold in holds.select_related("customer"):
        condition = Q(pk__isnull=False)  # the whole category, unless narrowed below
        if hold.customer_id:
            if not category.per_person:
                continue  # rows that name no person cannot be a customer's
            condition &= Q(pk__in=category.for_subject(hold.customer).values("pk"))
        if hold.node_id:
            column = node_field(category)
            if not column:
                continue  # the category says nothing about nodes
            condition &= Q(**{column: hold.node_id})
        if category.retention_from and (hold.data_from or hold.data_until):
            if hold.data_from:
                condition &= Q(**{f"{category.retention_from}__gte": hold.data_from})
            if hold.data_until:
                condition &= Q(**{f"{category.retention_from}__lte": hold.data_until})
        combined = condition if combined is None else combined | condition
    return combined


def held_rows(
    category: type[Category], rows: models.QuerySet, now: datetime | None = None
) -> int:
    q = held_q(category, now)
    return 0 if q is None else rows.filter(q).count()


def held_expired(category: type[Category], now: datetime) -> int:
    """Rows past the category's retention that a hold keeps."""
    if category.retention is None or not category.retention_from:
        return 0
    expired = category.model._default_manager.filter(
        **{f"{category.retention_from}__lt": now - category.retention}
    )
    return held_rows(category, expired, now)
