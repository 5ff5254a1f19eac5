"""The audit log's verbs: write buffered rows, ingest node events, grant and revoke access, purge."""

import ipaddress
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import ua_parser
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.emails import send_to_user
from auditlog import anchors, break_glass, chain, node_actions, tickets
from auditlog.models import (
    RAW_IP_MAX,
    AccessGrant,
    AccessLog,
    DeadLetter,
    NodeEvent,
    PurgeCheckpoint,
    SecurityEvent,
)
from onespace.client_ip import client_address
from onespace.storable import storable_json, storable_text

logger = logging.getLogger(__name__)

MAX_GRANT_HOURS = 72


@lru_cache(maxsize=2048)
def parse_user_agent(user_agent: str) -> tuple[str, str, str]:
    """Browser family, browser version and OS family of a user agent (cached: few distinct agents)."""
    result = ua_parser.parse(user_agent)
    browser, os_ = result.user_agent, result.os
    family = browser.family if browser else ""
    version = (
        ".".join(p for p in (browser.major, browser.minor) if p) if browser else ""
    )
    return family[:50], version[:30], (os_.family if os_ else "")[:50]


def normalise_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def raw_ip_to_keep(ip: str | None, sent: str) -> str:
    """The client address as received, when ``ip`` does not hold it exactly; else ""."""
    if sent == ip:
        return ""
    return storable_text(sent)[:RAW_IP_MAX]


def _access_rows(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for values in batch:
        family, version, os_family = parse_user_agent(values.get("user_agent", ""))
        forwarded = values.pop("forwarded_for", "")
        peer = values.pop("remote_addr", "")
        if "ip" not in values:
            values["ip"], sent = client_address_of(peer, forwarded)
            values["raw_ip"] = raw_ip_to_keep(values["ip"], sent)
        values.update(
            browser_family=family, browser_version=version, os_family=os_family
        )
        rows.append(values)
    return rows


class _Meta:
    """Just enough of a request for ``client_ip``: the address is worked out at flush time."""

    def __init__(self, peer: str, forwarded: str) -> None:
        self.META = {"REMOTE_ADDR": peer}
        if forwarded:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def client_address_of(peer: str, forwarded: str) -> tuple[str | None, str]:
    return client_address(_Meta(peer, forwarded))  # type: ignore[arg-type]


def _security_rows(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Failed sign-ins name an address, not an account: resolve them here, in one query
    # per flush, rather than in the request.
    emails = {
        v["attempted_email"].lower()
        for v in batch
        if v.get("attempted_email") and not v.get("user_id")
    }
    owners: dict[str, int] = {}
    if emails:
        owners = dict(
            get_user_model().objects.filter(email__in=emails).values_list("email", "pk")
        )
    for values in batch:
        if values.get("attempted_email") and not values.get("user_id"):
            values["user_id"] = owners.get(values["attempted_email"].lower())
    return batch


Record = tuple[str, dict[str, Any]]

_WRITERS = {
    "access": (AccessLog, _access_rows),
    "security": (SecurityEvent, _security_rows),
}
# The database's refusals of a row's content; any other database error (connection
# lost, database down) is nobody's row's fault.
_ROW_REFUSALS = (DataError, IntegrityError)


def write_buffered(batch: list[Record]) -> list[Record]:
    """Chain and insert a flushed batch, one bulk INSERT per table; return what to retry.

    A record the database refuses never holds back the others: the batch is split
    until the refused record is alone, everything else is written (and chained as
    written), and the refused one is kept whole as a ``DeadLetter``. Records come back
    for the next flush only when the database could not take them at all.
    """
    retry: list[Record] = []
    for kind, (model, rows_of) in _WRITERS.items():
        records = [values for k, values in batch if k == kind]
        if records:
            kept = _write_isolating(model, kind, rows_of, records)
            retry.extend((kind, values) for values in kept)
    return retry


def _write_isolating(
    model: Any, kind: str, rows_of: Any, records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    try:
        # Each attempt chains its rows after the last stored one: a record split off
        # after hashing leaves no gap, since nothing of a failed attempt was written.
        chain.append(model, rows_of([dict(values) for values in records]))
    except Exception as error:
        if isinstance(error, DatabaseError) and not isinstance(error, _ROW_REFUSALS):
            # Not the rows' fault: all of them are retried with the next flush.
            logger.error(
                "audit log: %d %s records kept for the next flush (%s)",
                len(records),
                kind,
                type(error).__name__,
            )
            return records
        # A refusal of some row's content, by the database or the driver before it
        # (a value it cannot encode): split the batch until that row is alone.
        if len(records) == 1:
            return _dead_letter(kind, records[0], error)
        middle = len(records) // 2
        return _write_isolating(
            model, kind, rows_of, records[:middle]
        ) + _write_isolating(model, kind, rows_of, records[middle:])
    return []


def _dead_letter(
    kind: str, values: dict[str, Any], error: Exception
) -> list[dict[str, Any]]:
    """Keep a refused record in the dead-letter table; return it when even that fails."""
    occurred_at = values.get("occurred_at")
    user_id = values.get("user_id")
    # The content and the driver's message may quote personal data: they go to the
    # table (read-only in admin), the application log gets the error's class only.
    message = str(error).splitlines()[0] if str(error) else ""
    try:
        DeadLetter.objects.create(
            kind=kind,
            occurred_at=occurred_at if isinstance(occurred_at, datetime) else None,
            user_id=user_id
            if isinstance(user_id, int) and 0 < user_id < 2**63
            else None,
            content=json.dumps(values, default=str, sort_keys=True, ensure_ascii=True),
            error=f"{type(error).__name__}: {message}".encode(
                "ascii", "backslashreplace"
            ).decode()[:500],
        )
    except Exception:
        # Kept for the next flush, where it is again alone after the split.
        return [values]
    logger.warning(
        "audit log: one %s record refused by the database (%s); kept as a dead letter",
        kind,
        type(error).__name__,
    )
    return []


# --- Node events ----------------------------------------------------------------------


@dataclass
class IngestResult:
    """What happened to a batch of node events."""

    created: list[uuid.UUID] = field(default_factory=list)
    duplicates: list[uuid.UUID] = field(default_factory=list)
    violations: list[uuid.UUID] = field(default_factory=list)
    # Event id -> the break-glass declaration that let it through (not a violation).
    break_glass: dict[uuid.UUID, int] = field(default_factory=dict)


def _covering_grants(
    events: list[dict[str, Any]],
) -> tuple[dict[str, list[AccessGrant]], dict[int, int | None]]:
    """The grants of the nodes staff looked inside, and who works on their tickets now."""
    nodes = {
        e["node_id"]
        for e in events
        if node_actions.needs_grant(e["action"], e["actor_type"], e.get("details"))
    }
    grants: dict[str, list[AccessGrant]] = {}
    if nodes:
        for grant in AccessGrant.objects.filter(node_id__in=nodes).order_by("pk"):
            grants.setdefault(grant.node_id, []).append(grant)
    ticket_ids = {
        grant.ticket_id
        for node_grants in grants.values()
        for grant in node_grants
        if grant.ticket_id is not None
    }
    return grants, tickets.teams(ticket_ids)


def _node_rows(
    events: list[dict[str, Any]], known: set[uuid.UUID], result: IngestResult
) -> list[dict[str, Any]]:
    received_at = timezone.now()
    grants, teams = _covering_grants(events)
    rows = []
    for event in events:
        if event["event_id"] in known:
            result.duplicates.append(event["event_id"])
            continue
        known.add(event["event_id"])
        decision = node_actions.classify(event, grants.get(event["node_id"], ()), teams)
        rows.append(
            {
                **event,
                # The API refuses what PostgreSQL cannot store; this also turns the
                # numbers jsonb would give back in another form, so the hash holds.
                "details": storable_json(event.get("details") or {}),
                "received_at": received_at,
                "grant_id": decision.grant.pk if decision.grant else None,
                "is_violation": decision.is_violation,
            }
        )
        result.created.append(event["event_id"])
        if decision.is_violation:
            result.violations.append(event["event_id"])
    break_glass.excuse_violations(rows, result)
    return rows


def ingest_node_events(events: list[dict[str, Any]]) -> IngestResult:
    """Store new node events (validated), skip known event ids, flag staff access without a grant.

    Retries are safe: an event id already stored is reported as a duplicate and nothing
    is written for it. Violations are emailed to the Privacy officer group after commit.
    """
    from auditlog import tasks

    # Everything but the chaining is worked out before the chain lock, so concurrent
    # batches hold it only to hash and COPY. Most batches are new: insert them straight
    # away (one transaction, no savepoints) and let the unique constraint catch a retry,
    # instead of looking up every id first.
    result = IngestResult()
    rows = _node_rows(events, set(), result)
    prepared = chain.prepare(NodeEvent, rows)
    try:
        # Break-glass uses are stored with their events (one transaction).
        with break_glass.together(result):
            chain.append(NodeEvent, prepared)
            break_glass.record_uses(rows, result)
    except IntegrityError:
        with transaction.atomic():
            # Under the chain lock, so two retries of one batch arriving together
            # cannot both insert it.
            chain.lock_table(NodeEvent)
            ids = [e["event_id"] for e in events]
            known = set(
                NodeEvent.objects.filter(event_id__in=ids).values_list(
                    "event_id", flat=True
                )
            )
            result = IngestResult()
            rows = _node_rows(events, known, result)
            chain.append(NodeEvent, rows)
            break_glass.record_uses(rows, result)
    if result.violations:
        # After commit (at once if the rows are committed already).
        violation_ids = [str(v) for v in result.violations]
        transaction.on_commit(lambda: tasks.notify_violations.enqueue(violation_ids))
    return result


# --- Access grants --------------------------------------------------------------------


def customer_owns_node(customer: Any, node_id: str) -> bool:
    """A node is the customer's when the control plane's events name them as its customer."""
    return NodeEvent.objects.filter(node_id=node_id, customer=customer).exists()


def customer_nodes(customer: Any) -> list[str]:
    return list(
        NodeEvent.objects.filter(customer=customer)
        .order_by("node_id")
        .values_list("node_id", flat=True)
        .distinct()
    )


def grant_access(
    customer: Any,
    *,
    node_id: str,
    reason: str,
    hours: int,
    staff: Any = None,
    ticket_id: int | None = None,
    actions: list[str] | None = None,
    ticket_reference: str = "",
    now: datetime | None = None,
) -> AccessGrant:
    """Let the named staff (``staff``, or whoever works on ``ticket_id``) look inside
    ``node_id`` for ``hours`` (at most 72) from now, for ``actions`` (default: all)."""
    now = now or timezone.now()
    if not 1 <= hours <= MAX_GRANT_HOURS:
        raise ValidationError({"hours": _("Access can be granted for 1 to 72 hours.")})
    if (staff is None) == (ticket_id is None):
        raise ValidationError(
            _("A grant names one staff member or one support ticket.")
        )
    if staff is not None and not (staff.is_staff and staff.is_active):
        raise ValidationError({"staff": _("This is not one of our staff members.")})
    unknown = set(actions or ()) - node_actions.NEEDS_GRANT
    if unknown:
        raise ValidationError({"actions": _("These actions need no grant.")})
    if not customer_owns_node(customer, node_id):
        raise ValidationError({"node_id": _("This node is not one of yours.")})
    if ticket_id is not None and ticket_id not in {
        ticket.pk for ticket in tickets.of_customer(customer)
    }:
        raise ValidationError({"ticket_id": _("This is not an open ticket of yours.")})
    if ticket_id is not None:
        ticket_reference = ticket_reference or tickets.reference(ticket_id)
    return AccessGrant.objects.create(
        customer=customer,
        node_id=node_id,
        reason=reason,
        staff=staff,
        ticket_id=ticket_id,
        actions=sorted(set(actions or ())),
        ticket_reference=ticket_reference,
        starts_at=now,
        expires_at=now + timedelta(hours=hours),
    )


def revoke_grant(grant: AccessGrant, *, now: datetime | None = None) -> AccessGrant:
    """End ``grant`` now; revoking an ended grant changes nothing."""
    now = now or timezone.now()
    if grant.revoked_at is None and grant.expires_at > now:
        grant.revoked_at = now
        grant.save(update_fields=["revoked_at"])
    return grant


def check_access(
    node_id: str,
    staff_id: int,
    *,
    action: str | None = None,
    at: datetime | None = None,
) -> AccessGrant | break_glass.Emergency | None:
    """The grant that lets staff member ``staff_id`` into ``node_id`` now, if any, else
    the break-glass declaration in force for them (issue 17).

    Only a grant naming them, or a ticket they now work on, counts, and only while they
    are active staff; with ``action``, only a grant whose scope covers it. One query:
    a revocation committed while it runs is either seen whole or not at all. Without
    such a grant, one more for a break-glass declaration (any action).
    """
    at = at or timezone.now()
    named = Q(staff_id=staff_id)
    worked_on = tickets.worked_by(staff_id)
    if worked_on is not None:
        named |= Q(ticket_id__in=worked_on)
    is_staff = Exists(
        get_user_model().objects.filter(pk=staff_id, is_staff=True, is_active=True)
    )
    for grant in (
        AccessGrant.objects.active(at)
        .filter(named, is_staff, node_id=node_id)
        .order_by("-expires_at", "-pk")
    ):
        if action is None or action in grant.scope:
            return grant
    return break_glass.emergency(node_id, staff_id, at=at)


def staff_labels(staff_ids: Any) -> dict[str, str]:
    """ "Support #12": each staff member's role and id, never their name (one query).

    Keys are the ids as text, as node events' ``actor_id`` holds them; an id that is
    no staff member's is left out.
    """
    ids = {int(i) for i in staff_ids if str(i).isdigit() and int(i) < 2**63}
    found: dict[str, str] = {}
    if not ids:
        return found
    order = {name: place for place, name in enumerate(roles.ALL)}
    best: dict[int, str] = {}
    for pk, group in (
        get_user_model()
        .objects.filter(pk__in=ids, is_staff=True)
        .values_list("pk", "groups__name")
    ):
        if pk not in best or (
            group in order and order.get(best[pk], len(order)) > order[group]
        ):
            best[pk] = group or ""
    for pk, role in best.items():
        found[str(pk)] = staff_label(pk, role)
    return found


ROLE_LABELS = {
    roles.SUPPORT: gettext_lazy("Support"),
    roles.SECURITY_AUDITOR: gettext_lazy("Security auditor"),
    roles.FINANCE: gettext_lazy("Finance"),
    roles.PRIVACY_OFFICER: gettext_lazy("Privacy officer"),
}


def staff_label(pk: Any, role: str | None) -> str:
    return _("%(role)s #%(id)s") % {
        "role": ROLE_LABELS.get(role or "", gettext_lazy("Staff")),
        "id": pk,
    }


# --- Retention purge ------------------------------------------------------------------


def purge_log(model: Any, *, time_field: str, now: datetime | None = None) -> int:
    """Delete the oldest rows of a log table past ``AUDITLOG_RETENTION_DAYS``; return how many.

    Only a prefix of the chain goes (rows up to the first one still within retention),
    and the last removed row's hash is kept as the new anchor, so the rest still verifies.
    On PostgreSQL the owner's ``auditlog_purge()`` does it (migration 0003): it counts
    with the database's clock and its own copy of the retention, so ``now`` is not used
    and the application cannot purge a recent row.
    """
    if connection.vendor == "postgresql":
        with transaction.atomic():
            chain.lock_table(model)
            with connection.cursor() as cursor:
                cursor.execute("SELECT auditlog_purge(%s)", [model._meta.db_table])
                return int(cursor.fetchone()[0])
    before = (now or timezone.now()) - retention()
    manager = model._default_manager
    with transaction.atomic():
        chain.lock_table(model)
        keep_from = (
            manager.order_by("id")
            .filter(**{f"{time_field}__gte": before})
            .values_list("id", flat=True)
            .first()
        )
        doomed = (
            manager.all() if keep_from is None else manager.filter(id__lt=keep_from)
        )
        last = doomed.order_by("-id").values_list("id", "hash").first()
        if last is None:
            return 0
        count = doomed.order_by()._raw_delete(doomed.db)  # type: ignore[attr-defined]
        PurgeCheckpoint.objects.create(
            table=model._meta.db_table,
            last_id=last[0],
            last_hash=last[1],
            purged_count=count,
        )
    return count


def retention() -> timedelta:
    return timedelta(days=settings.AUDITLOG_RETENTION_DAYS)


def purge_expired_logs(now: datetime | None = None) -> dict[str, int]:
    """Purge all three log tables past ``AUDITLOG_RETENTION_DAYS``."""
    return {
        "access": purge_log(AccessLog, time_field="occurred_at", now=now),
        "security": purge_log(SecurityEvent, time_field="occurred_at", now=now),
        "node": purge_log(NodeEvent, time_field="received_at", now=now),
    }


# --- Anchors and verification ---------------------------------------------------------


def verify_logs(
    names: list[str] | None = None, *, now: datetime | None = None
) -> list[tuple[str, chain.Problem]]:
    """Walk each chain and hold it against every anchor; return (table, problem) pairs.

    Bad anchor files are reported under the table name "anchors".
    """
    known, problems = anchors.load_anchors()
    found = [("anchors", problem) for problem in problems]
    for name in names or list(anchors.CHAINS):
        model, _time_field = anchors.CHAINS[name]
        table = model._meta.db_table
        found += [(table, problem) for problem in chain.verify(model)]
        found += [(table, problem) for problem in anchors.verify(model, known, now)]
    return found


def _security_auditors() -> Any:
    return roles.members(roles.SECURITY_AUDITOR)


def anchor_logs(now: datetime | None = None) -> Path:
    """Write a signed anchor of every chain's head and email it to the Security auditors."""
    path, text = anchors.write_anchor(now)
    if settings.AUDITLOG_ANCHOR_EMAIL:
        for auditor in _security_auditors():
            send_to_user(
                auditor,
                "auditlog/email/anchor",
                {"auditor": auditor, "anchor_name": path.name, "anchor_text": text},
            )
    return path


def report_problems(problems: list[tuple[str, chain.Problem]]) -> int:
    """Email the Security auditor group what verification found; return how many were told."""
    if not problems:
        return 0
    told = 0
    for auditor in _security_auditors():
        send_to_user(
            auditor,
            "auditlog/email/chain_problems",
            {
                "auditor": auditor,
                "count": len(problems),
                "problems": problems[:50],
            },
        )
        told += 1
    return told
