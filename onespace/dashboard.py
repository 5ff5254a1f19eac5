"""The staff dashboard: usage at a glance (policy 1.2, usage data kept "for analysis").

It reads accounts, auditlog and support together, which no app may do on its own
(DESIGN.md: the three apps do not import each other), so it lives with the wiring.
Counts only: no name, address or record of a person is shown, so opening it is not a
staff read of personal data.

Seven queries whatever the period, each grouped in the database and served by an
index range on its time or state column (bench/dashboard.py times them at 5 million
log rows):

* security events of three actions per day and action (``auditlog_sec_action``);
* distinct customers who signed in per day (``auditlog_sec_action`` too);
* node events per action (``auditlog_node_time_action``, index-only);
* violations per day (the partial index ``auditlog_node_violation``);
* open privacy requests per due date (``support_tic_state_2e7129_idx``);
* tickets filed per kind (``support_tic_kind_639895_idx``);
* the number of active customer accounts.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from auditlog.models import NodeEvent, SecurityEvent
from onespace import charts, thaidates
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
    per_kind = dict(
        Ticket.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    due = list(
        Ticket.objects.privacy_requests()
        .active()
        .order_by("due_on")
        .values_list("due_on")
        .annotate(n=Count("pk"))
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
