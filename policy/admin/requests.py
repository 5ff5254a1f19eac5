"""Privacy requests in admin (PDPA s.30–36): the overdue list first, answers through the services.

Opening a request is a staff read of the requester's data (auditlog wraps the change view
of every registry model); admin itself needs the verified second factor.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policy import services
from policy.admin.base import record_search
from policy.models import PrivacyRequest, ProcessingObjection


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("overdue", _("Overdue")),
            ("running", _("Open, clock running")),
            ("identity", _("Waiting for identity")),
            ("closed", _("Closed")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        rows = PrivacyRequest.objects.filter(pk__in=queryset.values("pk"))
        value = self.value()
        if value == "overdue":
            return queryset.filter(pk__in=rows.overdue().values("pk"))
        if value == "running":
            return queryset.filter(pk__in=rows.running().values("pk"))
        if value == "identity":
            return queryset.filter(closed_at__isnull=True, due_on__isnull=True)
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        return None


class PrivacyRequestAdminForm(forms.ModelForm):
    """Assign; and one step at a time: check documents, extend, or answer."""

    step = forms.ChoiceField(
        label=_("Next step"),
        required=False,
        choices=[
            ("", _("Only save the assignment")),
            ("documents", _("Documents checked: identity confirmed")),
            ("extend", _("Extend the deadline (the requester is told why)")),
            ("close", _("Answer and close")),
        ],
    )
    extension_days = forms.IntegerField(
        label=_("Extend by (days)"), required=False, min_value=1, max_value=30
    )
    reason = forms.CharField(
        label=_("Reason for the extension"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    new_outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "—"), *PrivacyRequest.Outcome.choices],
    )
    ground = forms.ChoiceField(
        label=_("Legal ground of a refusal"),
        required=False,
        choices=[("", "—"), *PrivacyRequest.RefusalGround.choices],
    )
    reply_text = forms.CharField(
        label=_("Reply emailed to the requester"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    class Meta:
        model = PrivacyRequest
        fields = ("assignee",)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        step = cleaned.get("step")
        if step == "extend":
            if not cleaned.get("extension_days"):
                self.add_error("extension_days", _("Say by how many days."))
            if not (cleaned.get("reason") or "").strip():
                self.add_error("reason", _("Give the reason the requester will read."))
        if step == "close":
            outcome = cleaned.get("new_outcome")
            if not outcome:
                self.add_error("new_outcome", _("Choose an outcome."))
            if not (cleaned.get("reply_text") or "").strip():
                self.add_error(
                    "reply_text", _("Write the reply the requester will get.")
                )
            if outcome == PrivacyRequest.Outcome.REFUSED and not cleaned.get("ground"):
                self.add_error("ground", _("A refusal names its legal ground."))
        return cleaned


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    """Requests by urgency: overdue first, then by due date; answered through the services."""

    form = PrivacyRequestAdminForm
    list_display = (
        "reference",
        "right",
        "state_display",
        "due_by_display",
        "assignee",
        "filed_at",
        "outcome",
    )
    list_filter = (StateFilter, "right", "outcome", "refusal_ground")
    list_select_related = ("assignee",)
    search_fields = ("=email", "=about_email")
    search_help_text = _("Enter the requester's email address.")
    show_full_result_count = False
    readonly_fields = (
        "reference",
        "right",
        "customer",
        "name",
        "email",
        "about_email",
        "details",
        "language",
        "filed_at",
        "email_confirmed_at",
        "identity_confirmed_at",
        "identity_method",
        "documents_checked_by",
        "due_on",
        "extended_to",
        "extension_reason",
        "reminded_days",
        "outcome",
        "refusal_ground",
        "reply",
        "closed_at",
        "closed_by",
    )
    fieldsets = (
        (None, {"fields": ("reference", "right", "filed_at", "language")}),
        (
            _("Personal data"),
            {"fields": ("customer", "name", "email", "about_email", "details")},
        ),
        (
            _("Identity"),
            {
                "fields": (
                    "email_confirmed_at",
                    "identity_confirmed_at",
                    "identity_method",
                    "documents_checked_by",
                )
            },
        ),
        (
            _("Clock (30 days)"),
            {
                "fields": (
                    "assignee",
                    "due_on",
                    "extended_to",
                    "extension_reason",
                    "reminded_days",
                )
            },
        ),
        (
            _("Answer"),
            {
                "fields": (
                    "outcome",
                    "refusal_ground",
                    "reply",
                    "closed_at",
                    "closed_by",
                )
            },
        ),
        (
            _("Next step"),
            {
                "fields": (
                    "step",
                    "extension_days",
                    "reason",
                    "new_outcome",
                    "ground",
                    "reply_text",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requests are filed by the requester, from the public form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # proof of the answer (s.39); the retention purge removes them

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrivacyRequest]:
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .annotate(
                urgency=Case(
                    When(closed_at__isnull=False, then=Value(3)),
                    When(extended_to__lt=today, then=Value(0)),
                    When(extended_to__isnull=True, due_on__lt=today, then=Value(0)),
                    When(due_on__isnull=False, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            )
            .order_by("urgency", "due_on", "-filed_at")
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if "@" in search_term:
            record_search(request, search_term.strip(), "policy.privacyrequest:search")
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("state"))
    def state_display(self, obj: PrivacyRequest) -> str:
        if obj.is_closed:
            return str(_("closed"))
        if obj.is_overdue:
            return str(
                _("OVERDUE by %(days)d days") % {"days": -(obj.days_left() or 0)}
            )
        if obj.due_on is None:
            return str(_("waiting for identity"))
        return str(_("%(days)d days left") % {"days": obj.days_left()})

    @admin.display(description=_("due by"))
    def due_by_display(self, obj: PrivacyRequest) -> Any:
        return obj.due_by or "—"

    def save_model(
        self, request: HttpRequest, obj: PrivacyRequest, form: Any, change: bool
    ) -> None:
        if "assignee" in form.changed_data:
            obj.save(update_fields=["assignee"])
        data = form.cleaned_data
        step = data.get("step")
        staff: Any = request.user
        try:
            if step == "documents":
                services.confirm_documents(obj, by=staff)
            elif step == "extend":
                services.extend_request(
                    obj, days=data.get("extension_days") or 0, reason=data["reason"]
                )
            elif step == "close":
                services.close_request(
                    obj,
                    by=staff,
                    outcome=data.get("new_outcome") or "",
                    reply=data.get("reply_text") or "",
                    refusal_ground=data.get("ground") or "",
                )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)


@admin.register(ProcessingObjection)
class ProcessingObjectionAdmin(admin.ModelAdmin):
    """Objections and restrictions in force: marketing sends and statistics skip these customers."""

    list_display = ("customer", "purpose", "recorded_at", "lifted_at", "request")
    list_filter = ("purpose", "lifted_at")
    list_select_related = ("customer", "request")
    readonly_fields = ("customer", "purpose", "request", "recorded_at")
    fields = ("customer", "purpose", "request", "recorded_at", "lifted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
