"""Who works on a support ticket, as far as an access grant naming the ticket needs to know.

A grant may name "the support team working on ticket T-000123" instead of one staff
member: today that team is the ticket's assignee while the ticket is unfinished, so
handing the ticket over hands the grant over, and closing it ends it. The audit log does
not import the support app (docs/architecture.md): it reads the ticket model through the
app registry, here only, and answers "nobody" when the support app is not installed.
"""

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

FINISHED = ("resolved", "closed")


def _tickets() -> QuerySet | None:
    try:
        model = apps.get_model("support", "Ticket")
    except LookupError:
        return None
    return model._default_manager.exclude(state__in=FINISHED)


def reference(ticket_id: int) -> str:
    """The reference customers and staff quote (support.Ticket.reference)."""
    return f"T-{ticket_id:06d}"


def worked_by(staff_id: int) -> QuerySet | None:
    """The ids of the unfinished tickets ``staff_id`` works on (a subquery)."""
    tickets = _tickets()
    return (
        None if tickets is None else tickets.filter(assignee_id=staff_id).values("pk")
    )


def teams(ticket_ids: set[int]) -> dict[int, int | None]:
    """Who works on each of these tickets now (None: nobody, or finished)."""
    tickets = _tickets()
    found: dict[int, int | None] = dict.fromkeys(ticket_ids)
    if tickets is not None and ticket_ids:
        found.update(tickets.filter(pk__in=ticket_ids).values_list("pk", "assignee_id"))
    return found


@dataclass(frozen=True)
class CustomerTicket:
    pk: int
    reference: str
    subject: str
    node_id: str
    assignee_id: int | None


def of_customer(customer: Any) -> list[CustomerTicket]:
    """The customer's unfinished tickets, newest first."""
    tickets = _tickets()
    if tickets is None:
        return []
    return [
        CustomerTicket(pk, reference(pk), subject, node_id, assignee_id)
        for pk, subject, node_id, assignee_id in tickets.filter(customer=customer)
        .order_by("-created_at", "-pk")
        .values_list("pk", "subject", "node_id", "assignee_id")
    ]
