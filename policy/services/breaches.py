"""Breaches (PDPA s.37(4)): record one, tell the affected customers."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from policy.models import (
    Breach,
    BreachNotice,
)
from policy.registry import registry
from policy.services.mail import send_policy_email


def record_breach(**fields: Any) -> Breach:
    """Record a breach; the detection time and the moment of awareness are required."""
    if not fields.get("detected_at"):
        raise ValidationError({"detected_at": _("Say when the breach was detected.")})
    fields.setdefault("became_aware_at", fields["detected_at"])
    customers = fields.pop("affected_customers", None)
    breach = Breach(**fields)
    breach.full_clean(exclude=["affected_customers"])
    breach.save()
    if customers is not None:
        breach.affected_customers.set(customers)
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
