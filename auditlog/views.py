"""The customer's own activity: node events, sign-ins, access history and access grants."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auditlog import break_glass, services
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
    return render(
        request,
        "auditlog/node_event_list.html",
        {
            "form": form,
            **paginate(request, events),
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
    """The customer's access grants, active ones first."""
    grants = AccessGrant.objects.filter(customer=request.user.pk).order_by(
        "-created_at", "-id"
    )
    return render(request, "auditlog/grant_list.html", paginate(request, grants))


@login_required
def grant_create(request: HttpRequest) -> HttpResponse:
    """Let staff into one of the customer's nodes for up to 72 hours (prefilled by ?node_id=&ticket=)."""
    nodes = services.customer_nodes(request.user)
    form = AccessGrantForm(
        request.POST or None,
        nodes=nodes,
        initial={
            "node_id": request.GET.get("node_id", ""),
            "ticket_reference": request.GET.get("ticket", "")[:64],
        },
    )
    if request.method == "POST" and form.is_valid():
        services.grant_access(request.user, **form.cleaned_data)
        messages.success(request, _("Access granted. You can revoke it at any time."))
        return redirect("auditlog:grant-list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "auditlog/grant_form.html",
        {"form": form, "nodes": nodes},
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
