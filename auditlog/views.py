"""The customer's own activity: node events, sign-ins, access history and access grants."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auditlog import break_glass, services, tickets
from auditlog.forms import AccessGrantForm, NodeEventFilterForm, SecurityEventFilterForm
from auditlog.models import AccessGrant, AccessLog, NodeEvent, SecurityEvent
from onespace import charts
from onespace.pagination import paginate

HISTORY_DAYS = 90


def _since() -> datetime:
    return timezone.now() - timedelta(days=HISTORY_DAYS)


@login_required
def node_event_list(request: HttpRequest) -> HttpResponse:
    """The customer's node activity of the last 90 days, by node and action."""
    nodes = services.customer_nodes(request.user)
    form = NodeEventFilterForm(request.GET or None, nodes=nodes)
    events = break_glass.for_customer_page(
        NodeEvent.objects.for_customer(request.user).filter(occurred_at__gte=_since()),
        request.user,
    )
    if form.is_valid():
        if form.cleaned_data["node"]:
            events = events.filter(node_id=form.cleaned_data["node"])
        if form.cleaned_data["action"]:
            events = events.filter(action=form.cleaned_data["action"])
    context: dict[str, Any] = {**paginate(request, events)}
    labels = services.staff_labels(
        {e.actor_id for e in context["page"] if e.actor_type == NodeEvent.Actor.STAFF}
    )
    context["rows"] = [
        {"event": e, "staff": labels.get(e.actor_id, "")} for e in context["page"]
    ]
    return render(
        request,
        "auditlog/node_event_list.html",
        {
            "form": form,
            **context,
            "chart": _activity_chart(request.user),
            "break_glass": break_glass.visible_accesses(request.user, since=_since()),
        },
    )


def _activity_chart(user: Any) -> charts.Chart:
    """The customer's node events and sign-ins per Bangkok day, last 90 days (two
    queries, on the customer and user indexes of the two logs)."""
    days = charts.window(HISTORY_DAYS)
    since = charts.start_of(days[0])
    nodes = charts.count_per_day(
        break_glass.without_restricted(NodeEvent.objects.for_customer(user), user),
        since=since,
    )
    sign_ins = charts.count_per_day(
        SecurityEvent.objects.for_user(user).filter(
            action=SecurityEvent.Action.SIGN_IN
        ),
        since=since,
    )
    return charts.daily_chart(
        "activity-chart",
        _("Your activity in the last 90 days"),
        days,
        [
            charts.Series(_("Node events"), [nodes.get(d, 0) for d in days]),
            charts.Series(_("Sign-ins"), [sign_ins.get(d, 0) for d in days]),
        ],
        width=400,
        height=130,
    )


@login_required
def security_event_list(request: HttpRequest) -> HttpResponse:
    """Sign-ins, failed sign-ins, lockouts, password changes and staff views of the customer's data."""
    form = SecurityEventFilterForm(request.GET or None)
    events = SecurityEvent.objects.filter(
        Q(user=request.user) | Q(subject=request.user), occurred_at__gte=_since()
    )
    if form.is_valid() and form.cleaned_data["action"]:
        events = events.filter(action=form.cleaned_data["action"])
    return render(
        request,
        "auditlog/security_event_list.html",
        {"form": form, **paginate(request, events)},
    )


@login_required
def access_log_list(request: HttpRequest) -> HttpResponse:
    """Every page the customer opened in the last 90 days, with address and browser."""
    entries = AccessLog.objects.for_user(request.user).filter(occurred_at__gte=_since())
    return render(request, "auditlog/access_log_list.html", paginate(request, entries))


@login_required
def grant_list(request: HttpRequest) -> HttpResponse:
    """The customer's access grants, newest first, each with its uses: which action,
    when, and which staff member (role and staff number, never a private name)."""
    grants = AccessGrant.objects.filter(customer=request.user.pk).order_by(
        "-created_at", "-id"
    )
    context: dict[str, Any] = {**paginate(request, grants)}
    page = list(context["page"])
    uses: dict[int, list[NodeEvent]] = {}
    for event in NodeEvent.objects.filter(
        customer=request.user.pk, grant_id__in=[g.pk for g in page]
    ).order_by("-occurred_at", "-id")[:500]:
        uses.setdefault(event.grant_id, []).append(event)  # type: ignore[arg-type]
    labels = services.staff_labels(
        {e.actor_id for events in uses.values() for e in events}
        | {str(g.staff_id) for g in page if g.staff_id}
    )
    context["rows"] = [
        {
            "grant": grant,
            "who": _who(grant, labels),
            "uses": [
                {"event": e, "staff": labels.get(e.actor_id, e.actor_id)}
                for e in uses.get(grant.pk, [])
            ],
        }
        for grant in page
    ]
    return render(request, "auditlog/grant_list.html", context)


def _who(grant: AccessGrant, labels: dict[str, str]) -> str:
    if grant.staff_id:
        return labels.get(str(grant.staff_id), "")
    if grant.ticket_id:
        return _("The team working on ticket %(ticket)s") % {
            "ticket": tickets.reference(grant.ticket_id)
        }
    return _("Nobody (made before grants named staff)")


@login_required
def grant_create(request: HttpRequest) -> HttpResponse:
    """Let named staff into one of the customer's nodes for up to 72 hours
    (prefilled by ?node_id=&ticket=T-000123 from a ticket's link)."""
    nodes = services.customer_nodes(request.user)
    open_tickets = tickets.of_customer(request.user)
    labels = services.staff_labels(
        {t.assignee_id for t in open_tickets if t.assignee_id is not None}
    )
    wanted = request.GET.get("ticket", "")[:64]
    initial = {"node_id": request.GET.get("node_id", "")}
    for ticket in open_tickets:
        if ticket.reference == wanted:
            initial["who"] = f"ticket:{ticket.pk}"
            initial["node_id"] = initial["node_id"] or ticket.node_id
    form = AccessGrantForm(
        request.POST or None,
        nodes=nodes,
        tickets=open_tickets,
        labels=labels,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_access(request.user, **form.grant_arguments())
        except ValidationError as error:
            # The service's checks name its own arguments (staff, ticket_id), not
            # necessarily the form's fields: shown above the form.
            form.add_error(None, error.messages)
        else:
            messages.success(
                request, _("Access granted. You can revoke it at any time.")
            )
            return redirect("auditlog:grant-list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "auditlog/grant_form.html",
        {"form": form, "nodes": nodes, "tickets": open_tickets},
        status=status,
    )


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """End one of the customer's grants now."""
    grant = get_object_or_404(AccessGrant, pk=pk, customer=request.user)
    services.revoke_grant(grant)
    messages.success(request, _("Access revoked."))
    return redirect("auditlog:grant-list")
