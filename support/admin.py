"""Staff UI for tickets: the inbox, replies and notes, state changes, statistics."""

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from policy import services as policy_services
from policy.models import ProcessingObjection
from support import services
from support.models import Ticket


class PrivacyRequestFilter(admin.SimpleListFilter):
    title = _("privacy requests")
    parameter_name = "privacy"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("open", _("Open privacy requests")),
            ("overdue", _("Overdue privacy requests")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() == "open":
            return queryset.privacy_requests().active()  # type: ignore[attr-defined]
        if self.value() == "overdue":
            return queryset.privacy_requests().overdue()  # type: ignore[attr-defined]
        return None


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("me", _("Me")), ("nobody", _("Nobody"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return None


class TicketAdminForm(forms.ModelForm):
    reply_kind = forms.ChoiceField(
        label=_("Add"),
        choices=[
            ("reply", _("Public reply (emailed to the customer)")),
            ("note", _("Internal note (never shown to the customer)")),
        ],
        initial="reply",
        required=False,
    )
    reply_body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )

    class Meta:
        model = Ticket
        fields = ("state", "assignee")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        body = (cleaned.get("reply_body") or "").strip()
        cleaned["reply_body"] = body
        # self.instance still holds the stored values here.
        stays_closed = (
            self.instance.state == Ticket.State.CLOSED
            and cleaned.get("state") == Ticket.State.CLOSED
        )
        if body and stays_closed:
            self.add_error(
                "reply_body",
                ValidationError(
                    _("This ticket is closed. Reopen it before replying."),
                    code="closed",
                ),
            )
        return cleaned


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    change_list_template = "support/admin/ticket_change_list.html"
    list_display = (
        "reference",
        "subject",
        "kind",
        "privacy_right",
        "state",
        "due_on",
        "overdue",
        "assignee",
        "customer",
        "updated_at",
    )
    list_display_links = ("reference", "subject")
    list_filter = (
        PrivacyRequestFilter,
        AssigneeFilter,
        "state",
        "kind",
        "privacy_right",
    )
    list_select_related = ("customer", "assignee")
    search_fields = ("=id", "customer__email", "node_id")
    show_full_result_count = False
    actions = ("assign_to_me", "request_access_grant")
    readonly_fields = (
        "reference",
        "customer",
        "kind",
        "privacy_right",
        "node_id",
        "subject",
        "created_at",
        "due_on",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "access_grant_requested_at",
        "thread",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "customer",
                    "kind",
                    "privacy_right",
                    "node_id",
                    "state",
                    "assignee",
                )
            },
        ),
        (_("Personal data"), {"fields": ("subject", "thread")}),
        (_("Reply or note"), {"fields": ("reply_kind", "reply_body")}),
        (
            _("Dates"),
            {
                "fields": (
                    "created_at",
                    "due_on",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                    "access_grant_requested_at",
                )
            },
        ),
    )

    # --- Who sees what ------------------------------------------------------------

    def _privacy_only(self, request: HttpRequest) -> bool:
        user = request.user
        return not user.has_perm("support.view_ticket") and user.has_perm(
            "support.work_privacy_request"
        )

    def _privacy_allowed(self, request: HttpRequest, obj: Ticket | None) -> bool:
        return request.user.has_perm("support.work_privacy_request") and (
            obj is None or obj.kind == Ticket.Kind.PRIVACY_REQUEST
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or request.user.has_perm(
            "support.work_privacy_request"
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self._privacy_allowed(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) or self._privacy_allowed(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets are filed by customers.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Tickets are anonymised by the retention purge, never deleted by hand.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = Ticket.objects.by_urgency()
        if self._privacy_only(request):
            queryset = queryset.privacy_requests()
        return queryset

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # Staff quote references as customers do: "T-000123".
        if match := re.fullmatch(r"[Tt]-?0*(\d+)", search_term.strip()):
            return queryset.filter(pk=int(match[1])), False
        return super().get_search_results(request, queryset, search_term)

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Overdue privacy requests first, then open ones by due date (PDPA: 30 days).
        return ["urgency", F("due_on").asc(nulls_last=True), "-created_at"]

    # --- Columns ----------------------------------------------------------------------

    @admin.display(description=_("reference"), ordering="pk")
    def reference(self, obj: Ticket) -> str:
        return obj.reference

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: Ticket) -> bool:
        return obj.is_overdue

    @admin.display(description=_("thread"))
    def thread(self, obj: Ticket) -> SafeString:
        entries = obj.messages.select_related("author").prefetch_related("attachments")
        return SafeString(
            render_to_string("support/admin/_thread.html", {"thread": entries})
        )

    # --- Saving goes through the services -------------------------------------------

    def save_model(
        self, request: HttpRequest, obj: Ticket, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        stored = Ticket.objects.get(pk=obj.pk)
        user = request.user
        if data["assignee"] != stored.assignee:
            services.assign_ticket(stored, assignee=data["assignee"])
        new_state = data["state"] if data["state"] != stored.state else None
        body = data.get("reply_body", "")
        if new_state and new_state != Ticket.State.CLOSED:
            services.change_state(stored, by=user, state=new_state)  # type: ignore[arg-type]
        if body and data.get("reply_kind") == "note":
            services.add_internal_note(stored, author=user, body=body)  # type: ignore[arg-type]
        elif body:
            services.add_staff_reply(stored, author=user, body=body, state=new_state)  # type: ignore[arg-type]
        if new_state == Ticket.State.CLOSED:
            services.change_state(stored, by=user, state=new_state)  # type: ignore[arg-type]
        obj.refresh_from_db()

    # --- Actions --------------------------------------------------------------------

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        for ticket in queryset:
            services.assign_ticket(ticket, assignee=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Tickets assigned to you."), messages.SUCCESS)

    @admin.action(
        description=_("Ask the customer for an access grant to the node"),
        permissions=["change"],
    )
    def request_access_grant(self, request: HttpRequest, queryset: QuerySet) -> None:
        asked = 0
        for ticket in queryset:
            try:
                services.request_access_grant(ticket, author=request.user)  # type: ignore[arg-type]
            except ValidationError as error:
                self.message_user(
                    request,
                    f"{ticket.reference}: {' '.join(error.messages)}",
                    messages.WARNING,
                )
            else:
                asked += 1
        if asked:
            self.message_user(
                request,
                ngettext(
                    "Access grant requested on %(count)d ticket.",
                    "Access grant requested on %(count)d tickets.",
                    asked,
                )
                % {"count": asked},
                messages.SUCCESS,
            )

    # --- Improvement statistics (policy 1.4) ----------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "statistics/",
                self.admin_site.admin_view(self.statistics_view),
                name="support_ticket_statistics",
            ),
            *super().get_urls(),
        ]

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("support.view_statistics"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Support statistics"),
            "opts": self.model._meta,
            "kinds": Ticket.Kind.choices,
            # PDPA s.32/s.34: customers who objected to or restricted analysis are left out.
            "report": Ticket.objects.exclude(
                customer__in=policy_services.objecting_customer_ids(
                    ProcessingObjection.Purpose.ANALYTICS
                )
            ).statistics(),
            "generated_at": timezone.now(),
        }
        return render(request, "support/admin/statistics.html", context)
