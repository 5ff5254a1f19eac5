"""Background work of the audit log."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task

from accounts import roles
from accounts.emails import send_to_user
from auditlog import break_glass, node_actions, services
from auditlog.models import BreakGlassAccess, NodeEvent
from policy import services as policy_services


@task
def notify_violations(event_ids: list[str]) -> int:
    """Email every Privacy officer about flagged node events: staff access that no grant
    covered, and events to review (an unknown action, an unexpected actor)."""
    events = list(
        NodeEvent.objects.filter(event_id__in=event_ids).order_by("occurred_at")
    )
    if not events:
        return 0
    without_grant = [
        event
        for event in events
        if node_actions.flag_reason(event.action, event.actor_type, event.details)
        == node_actions.NO_GRANT
    ]
    officers = roles.members(roles.PRIVACY_OFFICER)
    sent = 0
    for officer in officers:
        send_to_user(
            officer,
            "auditlog/email/violation",
            {
                "events": events,
                "officer": officer,
                "review_only": not without_grant,
            },
        )
        sent += 1
    # Staff reached customer nodes without a grant: possibly a breach (PDPA s.37(4)).
    # Other flags (an unknown action, an unexpected actor) wait for review first.
    events = without_grant
    if settings.BREACH_CANDIDATE_FROM_VIOLATIONS and events:
        nodes = sorted({event.node_id for event in events})
        policy_services.open_breach_candidate(
            source="auditlog-violation",
            description=(
                f"{len(events)} staff access(es) to customer nodes without a grant: "
                + ", ".join(nodes[:20])
            ),
            customers=get_user_model().objects.filter(
                pk__in={event.customer_id for event in events if event.customer_id}
            ),
        )
    return sent


@task
def purge_expired_logs() -> dict[str, int]:
    """Retention purge of the log tables (run daily; `manage.py purge_expired` does the same)."""
    return services.purge_expired_logs()


@task
def anchor_logs() -> str:
    """Anchor every chain's head outside the database (signed file, email to the auditors)."""
    return services.anchor_logs().name


@task
def verify_logs() -> int:
    """Verify the chains against the anchors; email the Security auditors what is wrong."""
    problems = services.verify_logs()
    services.report_problems(problems)
    return len(problems)


@task
def notify_break_glass_officers(access_id: int) -> int:
    """Email every Privacy officer about a break-glass declaration, at once."""
    access = (
        BreakGlassAccess.objects.select_related("staff", "customer", "disclosure")
        .filter(pk=access_id)
        .first()
    )
    return break_glass.notify_officers(access) if access else 0


@task
def notify_break_glass_customer(access_id: int) -> bool:
    """Email the customer about a break-glass declaration unless a restriction applies."""
    access = (
        BreakGlassAccess.objects.select_related("disclosure")
        .filter(pk=access_id)
        .first()
    )
    return break_glass.notify_customer(access) if access else False


@task
def notify_break_glass_uses(event_ids: list[str]) -> int:
    """Email every Privacy officer the node events that break-glass let through."""
    return break_glass.notify_uses(event_ids)
