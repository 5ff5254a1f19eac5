"""The staff dashboard: usage at a glance (policy 1.2, usage data kept "for analysis").

It reads accounts, auditlog and support together, which no app may do on its own
(DESIGN.md: the three apps do not import each other), so it lives with the wiring.
Counts only: no name, address or record of a person is shown, so opening it is not a
staff read of personal data.

A fixed number of queries whatever the period and the data. On PostgreSQL the log
charts read ``auditlog.DailyCount``, which database triggers keep per Bangkok day
as rows are inserted (a late node event included), so a 90-day chart reads a few
hundred rows over the ``auditlog_dailycount_unique`` index instead of aggregating
millions of log rows (bench/dashboard.py: 5 million rows per log). SQLite has no such
triggers: there the same numbers come from grouping the logs by
``TruncDate(occurred_at, Asia/Bangkok)``. Tickets are few: grouped directly, on the
``(state, due_on)`` and ``(kind, created_at)`` indexes.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, Count, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from auditlog.models import DailyCount, NodeEvent, SecurityEvent
from onespace import charts, thaidates
from policy.models import PrivacyRequest
from support.models import Ticket

PERIODS = (30, 90)
DEFAULT_PERIOD = 30


@dataclass
class Dashboard:
    period: int
    active_customers: int
    charts: list[charts.Chart]


def build(period: int) -> Dashboard:
    """The dashboard's charts for the last ``period`` Bangkok days, today included."""
    days = charts.window(period)
    since = charts.start_of(days[0])
    action = SecurityEvent.Action

    if connection.vendor == "postgresql":
        sign_ins, active, violations, per_action = _from_daily_counts(days[0])
    else:
        sign_ins, active, violations, per_action = _from_logs(since)
    per_kind = dict(
        Ticket.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    # Open privacy requests: the workflow's (due date, or its extension) and any
    # privacy ticket still filed through support.
    open_due: Counter[date | None] = Counter()
    for due_on, n in (
        Ticket.objects.privacy_requests()
        .active()
        .order_by()
        .values_list("due_on")
        .annotate(n=Count("pk"))
    ):
        open_due[due_on] += n
    for due_on, n in (
        PrivacyRequest.objects.open()
        .order_by()
        .values_list(Coalesce("extended_to", "due_on"))
        .annotate(n=Count("pk"))
    ):
        open_due[due_on] += n
    due = sorted(
        open_due.items(), key=lambda item: (item[0] is None, item[0] or date.min)
    )

    def daily(counts: dict, key: object = None) -> list[int]:
        if key is None:
            return [counts.get(day, 0) for day in days]
        return [counts.get((day, key), 0) for day in days]

    today = timezone.localdate(timezone=charts.BANGKOK)
    due_items = []
    for due_on, n in due:
        if due_on is None:
            label = _("No due date")
        elif due_on < today:
            label = _("%(date)s (overdue)") % {"date": thaidates.format_date(due_on)}
        else:
            label = thaidates.format_date(due_on)
        due_items.append((label, n))

    return Dashboard(
        period=period,
        active_customers=get_user_model().objects.active_customers().count(),
        charts=[
            charts.daily_chart(
                "chart-sign-ins",
                _("Sign-ins and failed sign-ins per day"),
                days,
                [
                    charts.Series(_("Sign-ins"), daily(sign_ins, action.SIGN_IN)),
                    charts.Series(
                        _("Failed sign-ins"), daily(sign_ins, action.SIGN_IN_FAILED)
                    ),
                ],
            ),
            charts.daily_chart(
                "chart-lockouts",
                _("Lockouts per day"),
                days,
                [charts.Series(_("Lockouts"), daily(sign_ins, action.LOCKED_OUT))],
            ),
            charts.daily_chart(
                "chart-active-customers",
                _("Customers who signed in per day"),
                days,
                [charts.Series(_("Customers"), daily(active))],
            ),
            charts.category_chart(
                "chart-node-actions",
                _("Node events per action"),
                [
                    (str(label), per_action.get(value, 0))
                    for value, label in NodeEvent.Action.choices
                ],
                series_label=_("Events"),
                row_heading=_("Node action"),
            ),
            charts.daily_chart(
                "chart-violations",
                _("Access violations per day"),
                days,
                [charts.Series(_("Violations"), daily(violations), charts.PALETTE[1])],
            ),
            charts.category_chart(
                "chart-privacy-due",
                _("Open privacy requests by due date"),
                due_items,
                series_label=_("Open requests"),
                row_heading=_("Due date"),
                colour=charts.PALETTE[2],
            ),
            charts.category_chart(
                "chart-ticket-kinds",
                _("Tickets filed per kind"),
                [
                    (str(label), per_kind.get(value, 0))
                    for value, label in Ticket.Kind.choices
                ],
                series_label=_("Tickets"),
                row_heading=_("Ticket kind"),
                colour=charts.PALETTE[4],
            ),
        ],
    )


Counts = tuple[dict[Any, int], dict[Any, int], dict[Any, int], dict[Any, int]]


def _from_daily_counts(first_day: Any) -> Counts:
    """The log charts' numbers from the triggers' daily counts (PostgreSQL)."""
    action = SecurityEvent.Action
    counts = DailyCount.objects.filter(day__gte=first_day).order_by()
    sign_ins = {
        (day, key): n
        for day, key, n in counts.filter(
            log=DailyCount.Log.SECURITY,
            key__in=[action.SIGN_IN, action.SIGN_IN_FAILED, action.LOCKED_OUT],
        ).values_list("day", "key", "n")
    }
    staff = (
        get_user_model()
        .objects.filter(is_staff=True)
        .annotate(key=Cast("pk", CharField()))
        .values("key")
    )
    active = dict(
        counts.filter(log=DailyCount.Log.SIGN_IN_USER)
        .exclude(key__in=staff)
        .values_list("day")
        .annotate(customers=Count("pk"))
    )
    violations = dict(
        counts.filter(log=DailyCount.Log.VIOLATION).values_list("day", "n")
    )
    per_action = dict(
        counts.filter(log=DailyCount.Log.NODE)
        .values_list("key")
        .annotate(total=Sum("n"))
    )
    return sign_ins, active, violations, per_action


def _from_logs(since: Any) -> Counts:
    """The same numbers grouped from the logs themselves (SQLite, development)."""
    action = SecurityEvent.Action
    sign_ins = charts.count_per_day(
        SecurityEvent.objects.filter(
            action__in=[action.SIGN_IN, action.SIGN_IN_FAILED, action.LOCKED_OUT]
        ),
        since=since,
        by="action",
    )
    active = charts.count_per_day(
        SecurityEvent.objects.filter(action=action.SIGN_IN, user__is_staff=False),
        since=since,
        distinct="user",
    )
    violations = charts.count_per_day(NodeEvent.objects.violations(), since=since)
    per_action = dict(
        NodeEvent.objects.filter(occurred_at__gte=since)
        .order_by()
        .values_list("action")
        .annotate(n=Count("pk"))
    )
    return sign_ins, active, violations, per_action
