"""Every node action the control plane reports, and what it does to the node's contents.

Policy 1.2.1 promises that managing a node never touches the customer's data "unless
permitted". This table is the one place that says which actions look inside: an action
that reads, copies or replaces the node's contents needs the customer's grant when staff
start it. The customer needs no grant for their own node, and neither does the system
when it runs a schedule the customer chose (automatic backups): such an event carries
``details.schedule == "customer"`` (and the customer's ``details.policy_id``). A system
event that reads, copies or replaces contents without that mark is flagged for review.

Anything else is flagged too, and stored: an action the table does not know (a new
control-plane feature nobody has classified yet) and an action started by an actor the
table does not expect. The flag is the node event's ``is_violation`` column; why it was
raised is worked out from this table (``flag_reason``), so no column was added to the
hash-chained, partitioned log.

``classify`` is the single decision for a stored event; ``needs_grant`` answers the
same question for callers that have no grant at hand (the access-check API, break-glass).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CUSTOMER = "customer"
STAFF = "staff"
SYSTEM = "system"
EVERYONE = frozenset({CUSTOMER, STAFF, SYSTEM})
PEOPLE = frozenset({CUSTOMER, STAFF})

# What an action does to the node's contents (the customer's files and memory).
NONE = "none"
READS = "reads"
COPIES = "copies"
REPLACES = "replaces"

STARTER_LABELS: dict[str, Promise] = {
    CUSTOMER: _("Customer"),
    STAFF: _("Staff"),
    SYSTEM: _("System"),
}

CONTENTS_LABELS: dict[str, Promise] = {
    NONE: _("does not touch the contents"),
    READS: _("reads the contents"),
    COPIES: _("copies the contents"),
    REPLACES: _("replaces the contents"),
}

# A slug the control plane may send: lower-case ASCII letters, digits, "_", "-", ".",
# starting with a letter, at most 30 characters (the action column).
ACTION_MAX = 30
ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,29}$")

# The details of a system event that ran a schedule the customer chose.
CUSTOMER_SCHEDULE = "customer"


@dataclass(frozen=True)
class NodeAction:
    slug: str
    label: Promise
    starters: frozenset[str]
    contents: str
    why: Promise

    @property
    def needs_grant(self) -> bool:
        """Whether staff need the customer's grant to start it."""
        return self.contents != NONE

    @property
    def contents_label(self) -> Promise:
        return CONTENTS_LABELS[self.contents]

    @property
    def starter_labels(self) -> list[Promise]:
        return [
            STARTER_LABELS[s] for s in (CUSTOMER, STAFF, SYSTEM) if s in self.starters
        ]


TABLE: tuple[NodeAction, ...] = (
    NodeAction(
        "create",
        _("Created"),
        EVERYONE,
        NONE,
        _("Makes a new node; there are no contents yet."),
    ),
    NodeAction(
        "delete",
        _("Deleted"),
        EVERYONE,
        NONE,
        _("Removes the node and erases its disks without reading them."),
    ),
    NodeAction("start", _("Started"), EVERYONE, NONE, _("Powers the node on.")),
    NodeAction("stop", _("Stopped"), EVERYONE, NONE, _("Powers the node off.")),
    NodeAction("reboot", _("Rebooted"), EVERYONE, NONE, _("Restarts the node.")),
    NodeAction(
        "resize",
        _("Resized"),
        EVERYONE,
        NONE,
        _("Changes CPU, memory or disk size; the disk is moved whole, unread."),
    ),
    NodeAction(
        "network_change",
        _("Network changed"),
        EVERYONE,
        NONE,
        _("Changes addresses or firewall rules outside the node."),
    ),
    NodeAction(
        "rebuild",
        _("Rebuilt"),
        PEOPLE,
        REPLACES,
        _("Reinstalls the node from an image and wipes its disk."),
    ),
    NodeAction(
        "rebuild_keep_disk",
        _("Rebuilt keeping the disk"),
        PEOPLE,
        REPLACES,
        _(
            "Replaces the system and boots it on the kept data disk, "
            "which the new system can read."
        ),
    ),
    NodeAction(
        "snapshot",
        _("Snapshot taken"),
        EVERYONE,
        COPIES,
        _("Copies the whole disk into a snapshot."),
    ),
    NodeAction(
        "backup",
        _("Backed up"),
        EVERYONE,
        COPIES,
        _("Copies the whole disk into a backup."),
    ),
    NodeAction(
        "image_export",
        _("Image exported"),
        PEOPLE,
        COPIES,
        _("Copies the disk into an image that can leave the node."),
    ),
    NodeAction(
        "restore",
        _("Restored from snapshot"),
        PEOPLE,
        REPLACES,
        _("Replaces the disk with one of the node's snapshots."),
    ),
    NodeAction(
        "restore_to_other_node",
        _("Snapshot restored into another node"),
        PEOPLE,
        COPIES,
        _("Copies a snapshot of this node into another node, where it can be read."),
    ),
    NodeAction(
        "console_access",
        _("Console opened"),
        PEOPLE,
        READS,
        _("Shows the node's screen and keyboard: everything on it can be read."),
    ),
    NodeAction(
        "disk_access",
        _("Disk accessed"),
        PEOPLE,
        READS,
        _("Mounts the node's disk outside the node, where its files can be read."),
    ),
    NodeAction(
        "password_reset",
        _("Password reset inside the node"),
        PEOPLE,
        READS,
        _(
            "Writes a new password into the node's system, which opens everything "
            "on it to whoever holds the password."
        ),
    ),
)

BY_SLUG: Mapping[str, NodeAction] = {action.slug: action for action in TABLE}
# Actions that staff start only with a grant (policy 1.2.1).
NEEDS_GRANT: frozenset[str] = frozenset(a.slug for a in TABLE if a.needs_grant)

# Why an event was flagged (shown in admin and in the Privacy officer's email).
NO_GRANT = "no_grant"
UNKNOWN_ACTION = "unknown_action"
UNEXPECTED_ACTOR = "unexpected_actor"
NO_CUSTOMER_SCHEDULE = "no_customer_schedule"
FLAG_LABELS: dict[str, Promise] = {
    NO_GRANT: _("Staff looked inside without a grant naming them"),
    UNKNOWN_ACTION: _("Unknown action: to be reviewed"),
    UNEXPECTED_ACTOR: _("This actor does not start this action: to be reviewed"),
    NO_CUSTOMER_SCHEDULE: _(
        "The system touched the contents without a schedule the customer chose"
    ),
}


def valid_action(value: str) -> bool:
    """A well-formed action slug (known or not)."""
    return ACTION_PATTERN.fullmatch(value) is not None and len(value) <= ACTION_MAX


def label(slug: str) -> str:
    """The action's label; an unknown action shows its slug."""
    action = BY_SLUG.get(slug)
    return str(action.label) if action else slug


def on_customer_schedule(details: Any) -> bool:
    return isinstance(details, dict) and details.get("schedule") == CUSTOMER_SCHEDULE


def needs_grant(action: str, actor_type: str, details: Any) -> bool:
    """Whether this event needs a customer's grant (staff reading, copying or replacing contents).

    An unknown action by staff counts as needing one: nothing is harmless until classified.
    """
    if actor_type != STAFF:
        return False
    known = BY_SLUG.get(action)
    return known is None or known.needs_grant


class Grant(Protocol):
    """What ``classify`` needs of an access grant."""

    pk: Any
    customer_id: Any
    starts_at: Any
    expires_at: Any
    revoked_at: Any
    staff_id: Any
    ticket_id: Any
    actions: Any


def grant_covers(
    grant: Grant, action: str, staff_id: str, at: Any, team: Mapping[int, int | None]
) -> bool:
    """Whether ``grant`` lets staff member ``staff_id`` do ``action`` at ``at``.

    ``team`` maps the ticket ids of ticket grants to the staff member now working on
    the ticket (its assignee), ``None`` when nobody is.
    """
    if not (
        grant.starts_at <= at < grant.expires_at
        and (grant.revoked_at is None or grant.revoked_at > at)
    ):
        return False
    if action not in (grant.actions or NEEDS_GRANT):
        return False
    if grant.staff_id is not None:
        return str(grant.staff_id) == staff_id
    if grant.ticket_id is not None:
        member = team.get(grant.ticket_id)
        return member is not None and str(member) == staff_id
    return False


@dataclass(frozen=True)
class Decision:
    grant: Any = None
    flag: str = ""

    @property
    def is_violation(self) -> bool:
        return bool(self.flag)


def classify(
    event: Mapping[str, Any],
    grants: Iterable[Grant],
    team: Mapping[int, int | None] | None = None,
) -> Decision:
    """The one decision about a node event: which grant covers it, or why it is flagged.

    ``event`` holds ``action``, ``actor_type``, ``actor_id``, ``customer_id``,
    ``occurred_at`` and ``details``; ``grants`` are the grants of its node.
    """
    action = event["action"]
    actor = event["actor_type"]
    known = BY_SLUG.get(action)
    if known is None:
        return Decision(flag=UNKNOWN_ACTION)
    if actor not in known.starters:
        return Decision(flag=UNEXPECTED_ACTOR)
    if actor == SYSTEM and known.needs_grant:
        if on_customer_schedule(event.get("details")):
            return Decision()
        return Decision(flag=NO_CUSTOMER_SCHEDULE)
    if not needs_grant(action, actor, event.get("details")):
        return Decision()
    for grant in grants:
        if grant.customer_id == event["customer_id"] and grant_covers(
            grant, action, event["actor_id"], event["occurred_at"], team or {}
        ):
            return Decision(grant=grant)
    return Decision(flag=NO_GRANT)


def flag_reason(action: str, actor_type: str, details: Any) -> str:
    """Why a stored, flagged event was flagged (no grant at hand: the grant case is NO_GRANT)."""
    known = BY_SLUG.get(action)
    if known is None:
        return UNKNOWN_ACTION
    if actor_type not in known.starters:
        return UNEXPECTED_ACTOR
    if actor_type == SYSTEM:
        return NO_CUSTOMER_SCHEDULE
    return NO_GRANT


def flag_label(action: str, actor_type: str, details: Any) -> str:
    return str(FLAG_LABELS[flag_reason(action, actor_type, details)])
