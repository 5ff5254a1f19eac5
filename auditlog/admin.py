"""Staff review of the audit log: read-only, fast on big tables, CSV export of any selection."""

import csv
import ipaddress
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from auditlog import break_glass, buffer, node_actions
from auditlog.models import (
    AccessGrant,
    AccessLog,
    BreakGlassAccess,
    BreakGlassReview,
    BreakGlassUse,
    DeadLetter,
    Disclosure,
    NodeEvent,
    SecurityEvent,
)
from auditlog.receivers import record_security_event
from auditlog.serializers import MAX_CLOCK_SKEW
from onespace.choices import choice_label
from onespace.csv_export import spreadsheet_safe
from onespace.storable import unstorable_reason
from policy.admin.base import ReadOnlyInline
from policy.history import VersionedAdmin
from policy.registry import registry

# No page ever counts a whole log table: counting stops here, so a filter matching
# millions of rows costs the same as one matching ten thousand.
COUNT_CAP = 10_000


def record_staff_reads(
    request: HttpRequest, subjects: Iterable[int], label: str
) -> None:
    """One staff-read event per customer in ``subjects`` (policy clause 2)."""
    for count, subject_id in enumerate(sorted(subjects), start=1):
        if subject_id == request.user.pk:
            continue
        record_security_event(
            SecurityEvent.Action.PERSONAL_DATA_VIEWED,
            request,
            user_id=request.user.pk,
            subject_id=subject_id,
            object_label=label,
        )
        # A big export names many customers: write them out as we go rather than
        # let them crowd the in-memory buffer.
        if count % 1000 == 0:
            buffer.flush()


def record_staff_search(
    request: HttpRequest, model: type[models.Model], users: models.QuerySet
) -> None:
    """A staff search of a log by a customer's email address is a read of their data."""
    label = f"{model._meta.label_lower}:search"
    record_staff_reads(request, users.values_list("pk", flat=True), label)


class CappedCountPaginator(Paginator):
    """A paginator whose count reads at most COUNT_CAP + 1 rows (through the ordering index)."""

    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()  # type: ignore[attr-defined]


class PartitionBoundDateFilter(admin.DateFieldListFilter):
    """The date filter of a time other than the table's partition key (node events:
    ``occurred_at``, partitioned on ``received_at``), which also bounds the partition key
    so that PostgreSQL scans only the months that can hold a match (partition pruning).

    The API refuses an event that occurred more than ``MAX_CLOCK_SKEW`` after it was
    received (the node's clock ahead of ours), so a row with ``occurred_at >= start`` was
    received at or after ``start - MAX_CLOCK_SKEW``: the filter adds that bound and loses
    no row. There is no bound the other way (a node may send a week-old event late), so a
    range filter still reads every month from its start onwards, never an older one.
    """

    partition_key = "received_at"

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> Any:
        filtered = super().queryset(request, queryset)
        since = self.used_parameters.get(self.lookup_kwarg_since)
        if filtered is None or not since:
            return filtered
        values = since if isinstance(since, list) else [since]  # OR-ed by the admin
        starts = []
        for value in values:
            start = self.field.to_python(value)  # the admin's own parse, valid by now
            if timezone.is_naive(start):  # as the lookup reads it: default time zone
                start = timezone.make_aware(start, timezone.get_default_timezone())
            starts.append(start)
        bound = min(starts) - MAX_CLOCK_SKEW
        return filtered.filter(**{f"{self.partition_key}__gte": bound})


class InputFilter(admin.SimpleListFilter):
    """A free-text filter (an address, an email) rendered as a small form."""

    template = "auditlog/admin/input_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return []

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Iterator[Any]:
        others = []
        for key, values in changelist.get_filters_params().items():
            if key == self.parameter_name:
                continue
            for value in values if isinstance(values, list) else [values]:
                others.append((key, value))
        yield {
            "others": others,
            "value": self.value() or "",
            "parameter": self.parameter_name,
        }


class UserEmailFilter(InputFilter):
    title = _("user (email)")
    parameter_name = "user_email"

    def queryset(
        self, request: HttpRequest, queryset: models.QuerySet
    ) -> models.QuerySet:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if unstorable_reason(value):
            # No address holds a NUL (PostgreSQL would refuse the query itself).
            return queryset.none()
        users = get_user_model().objects.filter(email__iexact=value).values("pk")
        record_staff_search(request, queryset.model, users)
        return queryset.filter(user__in=users)


class IPFilter(InputFilter):
    title = _("IP address")
    parameter_name = "ip_address"
    field = "ip"

    def queryset(
        self, request: HttpRequest, queryset: models.QuerySet
    ) -> models.QuerySet:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        try:
            address = str(ipaddress.ip_address(value))
        except ValueError:
            return queryset.none()
        return queryset.filter(**{self.field: address})


class SourceIPFilter(IPFilter):
    field = "source_ip"


class MethodFilter(admin.SimpleListFilter):
    """HTTP methods from a fixed list: the stock filter would scan the table for distinct values."""

    title = _("method")
    parameter_name = "method"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        methods = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
        return [(m, m) for m in methods]

    def queryset(
        self, request: HttpRequest, queryset: models.QuerySet
    ) -> models.QuerySet:
        return queryset.filter(method=self.value()) if self.value() else queryset


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """Log rows are evidence: nobody adds, changes or deletes them here, superusers included."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100
    actions = None
    change_list_template = "auditlog/admin/change_list.html"
    search_fields = ("pk",)  # shows the search box; get_search_results does the work
    search_help_text = _("An IP address, an email address or a node id (exact).")
    csv_fields: tuple[str, ...] = ()
    # Whose personal data each exported row is: each of them sees the export.
    csv_subject_fields: tuple[str, ...] = ("user_id",)
    ip_field = "ip"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        # One exact, indexed lookup chosen by the shape of the term: a LIKE or an OR
        # across a join would scan millions of rows.
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            address = str(ipaddress.ip_address(term))
        except ValueError:
            address = ""
        if address:
            return queryset.filter(**{self.ip_field: address}), False
        fields = {f.name for f in self.model._meta.get_fields()}
        if "@" in term:
            users = get_user_model().objects.filter(email__iexact=term).values("pk")
            user_field = "customer" if "customer" in fields else "user"
            record_staff_search(request, self.model, users)
            return queryset.filter(**{f"{user_field}__in": users}), False
        if "node_id" in fields:
            return queryset.filter(node_id=term), False
        return queryset.none(), False

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_csv),
                name=f"{opts.app_label}_{opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """Stream the filtered, searched selection as CSV, row by row.

        Every customer whose rows were exported gets a staff-read event (policy
        clause 2), recorded when the stream ends, also when the download is cut off.
        Cells that a spreadsheet would run as a formula are written as text.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        width = len(self.csv_fields)
        rows = queryset.values_list(
            *self.csv_fields, *self.csv_subject_fields
        ).iterator(chunk_size=2000)
        label = f"{self.model._meta.label_lower}:export"

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(Echo())

        def lines() -> Iterator[str]:
            subjects: set[int] = set()
            try:
                yield writer.writerow(self.csv_fields)
                for row in rows:
                    subjects.update(pk for pk in row[width:] if pk is not None)
                    yield writer.writerow(
                        [
                            v.isoformat()
                            if hasattr(v, "isoformat")
                            else spreadsheet_safe(v)
                            for v in row[:width]
                        ]
                    )
            finally:
                record_staff_reads(request, subjects, label)

        name = f"{self.model._meta.model_name}-{timezone.now():%Y%m%d-%H%M%S}.csv"
        return StreamingHttpResponse(
            lines(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


# Log lists fit a 1280 px screen with the admin's sidebar and filters: the columns a
# reviewer scans; the rest (browser, duration, raw address, ...) is on each row's page.


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyLogAdmin):
    list_display = ("occurred_at", "user", "ip", "method", "path", "status")
    list_select_related = ("user",)
    list_filter = (
        ("occurred_at", admin.DateFieldListFilter),
        MethodFilter,
        UserEmailFilter,
        IPFilter,
    )
    csv_fields = (
        "id",
        "occurred_at",
        "user__email",
        "ip",
        "method",
        "path",
        "status",
        "duration_ms",
        "browser_family",
        "browser_version",
        "os_family",
        "user_agent",
        "raw_ip",
    )


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyLogAdmin):
    list_display = ("occurred_at", "action", "who", "ip", "object_label")
    list_select_related = ("user",)
    list_filter = (
        ("occurred_at", admin.DateFieldListFilter),
        "action",
        UserEmailFilter,
        IPFilter,
    )
    csv_fields = (
        "id",
        "occurred_at",
        "action",
        "user__email",
        "attempted_email",
        "ip",
        "subject__email",
        "object_label",
        "user_agent",
        "raw_ip",
    )
    csv_subject_fields = ("user_id", "subject_id")

    @admin.display(description=_("user"), ordering="user__email")
    def who(self, obj: SecurityEvent) -> str:
        """The account, or the address typed at a failed sign-in."""
        return obj.user.email if obj.user else obj.attempted_email or "—"


class UnknownActionFilter(admin.SimpleListFilter):
    """Events whose action the table of node actions does not know (flagged for review)."""

    title = _("action known")
    parameter_name = "known"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("Unknown action: to be reviewed"))]

    def queryset(
        self, request: HttpRequest, queryset: models.QuerySet
    ) -> models.QuerySet:
        if self.value() == "no":
            return queryset.exclude(action__in=list(node_actions.BY_SLUG))
        return queryset


@admin.register(NodeEvent)
class NodeEventAdmin(ReadOnlyLogAdmin):
    list_display = (
        "occurred_at",
        "is_violation",
        "node_id",
        "action_label",
        "actor",
        "customer",
    )
    list_select_related = ("customer",)
    # Why a row is flagged is on its page (and the filters find unknown actions): one
    # more column would push the violation column off a 1280 px screen.
    readonly_fields = ("flag", "contents", "why")
    # The table of node actions, under the list (auditlog.node_actions).
    change_list_template = "auditlog/admin/node_event_change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        return super().changelist_view(
            request, {**(extra_context or {}), "node_actions": node_actions.TABLE}
        )

    list_filter = (
        ("occurred_at", PartitionBoundDateFilter),
        "is_violation",
        UnknownActionFilter,
        "action",
        "actor_type",
        SourceIPFilter,
    )
    ip_field = "source_ip"
    csv_fields = (
        "id",
        "event_id",
        "occurred_at",
        "received_at",
        "node_id",
        "customer__email",
        "action",
        "actor_type",
        "actor_id",
        "source_ip",
        "grant_id",
        "is_violation",
    )
    csv_subject_fields = ("customer_id",)

    @admin.display(description=_("actor"))
    def actor(self, obj: NodeEvent) -> str:
        return f"{obj.get_actor_type_display()} {obj.actor_id}".strip()

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj: NodeEvent) -> str:
        # An unknown action shows as sent (the field's choices would show "-").
        return obj.get_action_display()

    @admin.display(description=_("flagged because"))
    def flag(self, obj: NodeEvent) -> str:
        return obj.flag_label

    @admin.display(description=_("what it does to the contents"))
    def contents(self, obj: NodeEvent) -> str:
        known = node_actions.BY_SLUG.get(obj.action)
        return str(known.contents_label) if known else str(_("unknown: to be reviewed"))

    @admin.display(description=_("why"))
    def why(self, obj: NodeEvent) -> str:
        known = node_actions.BY_SLUG.get(obj.action)
        return str(known.why) if known else ""


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyLogAdmin):
    """Log records the database refused, whole: read them, never change them."""

    list_display = ("refused_at", "kind", "occurred_at", "user", "error")
    list_select_related = ("user",)
    list_filter = ("kind", UserEmailFilter)
    search_help_text = _("An email address (exact).")
    csv_fields = (
        "id",
        "refused_at",
        "kind",
        "occurred_at",
        "user__email",
        "error",
        "content",
    )

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        term = search_term.strip()
        if not term or unstorable_reason(term):
            return (queryset.none() if term else queryset), False
        users = get_user_model().objects.filter(email__iexact=term).values("pk")
        record_staff_search(request, queryset.model, users)
        return queryset.filter(user__in=users), False


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyLogAdmin):
    list_display = (
        "node_id",
        "customer",
        "staff",
        "ticket_reference",
        "scope_list",
        "starts_at",
        "expires_at",
        "revoked_at",
    )
    list_select_related = ("customer", "staff")
    list_filter = (("starts_at", admin.DateFieldListFilter),)
    csv_fields = (
        "id",
        "node_id",
        "customer__email",
        "reason",
        "ticket_reference",
        "staff_id",
        "ticket_id",
        "actions",
        "starts_at",
        "expires_at",
        "revoked_at",
    )
    csv_subject_fields = ("customer_id",)

    @admin.display(description=_("actions"))
    def scope_list(self, obj: AccessGrant) -> str:
        return ", ".join(obj.scope_labels())

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            users = get_user_model().objects.filter(email__iexact=term).values("pk")
            record_staff_search(request, self.model, users)
            return queryset.filter(customer__in=users), False
        return queryset.filter(
            models.Q(node_id=term) | models.Q(ticket_reference=term)
        ), False


def _category_choices() -> list[tuple[str, str]]:
    return [(category.key, str(category.name or category.key)) for category in registry]


class DisclosureForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("categories disclosed"),
        choices=_category_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept with the new version of the record, with your name and the time. "
            "Required when the restriction changes."
        ),
    )

    RESTRICTION_FIELDS = ("is_restricted", "restriction_reason", "restricted_until")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # What the customer may see cannot switch silently: a change of the
        # restriction names its reason, kept in the record's history.
        switched = self.instance.pk and any(
            name in self.changed_data for name in self.RESTRICTION_FIELDS
        )
        if switched and not (cleaned.get("change_reason") or "").strip():
            self.add_error(
                "change_reason",
                _(
                    "Say why the restriction changes: it decides what the customer sees."
                ),
            )
        return cleaned

    class Meta:
        model = Disclosure
        fields = (
            "authority",
            "legal_basis",
            "requested_on",
            "categories",
            "approved_by",
            "disclosed_at",
            "customers",
            "is_restricted",
            "restriction_reason",
            "restricted_until",
        )


@admin.register(Disclosure)
class DisclosureAdmin(VersionedAdmin):
    form = DisclosureForm
    list_display = (
        "authority",
        "requested_on",
        "disclosed_at",
        "approved_by",
        "is_restricted",
        "restricted_until",
    )
    list_filter = ("is_restricted", ("disclosed_at", admin.DateFieldListFilter))
    search_fields = ("authority", "legal_basis")
    raw_id_fields = ("customers", "approved_by")
    list_select_related = ("approved_by",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "authority",
                    "legal_basis",
                    "requested_on",
                    "categories",
                    "approved_by",
                    "disclosed_at",
                )
            },
        ),
        (_("Personal data"), {"fields": ("customers",)}),
        (
            _("Restriction by law"),
            {"fields": ("is_restricted", "restriction_reason", "restricted_until")},
        ),
        (_("Record"), {"fields": ("version", "history", "change_reason")}),
    )
    readonly_fields = ("version", "history")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The register is evidence of lawful disclosure; mistakes are corrected, not erased.
        return False


# --- Break-glass access (issue 17) ----------------------------------------------------


class BreakGlassDeclarationForm(forms.ModelForm):
    """A Security auditor's declaration: whose node, why, for how long (at most 4 hours)."""

    customer_email = forms.EmailField(label=_("customer's email address"))
    hours = forms.IntegerField(
        label=_("hours"),
        min_value=1,
        max_value=BreakGlassAccess.MAX_HOURS,
        initial=1,
        help_text=_("The access ends by itself after this time (at most 4 hours)."),
    )

    # Set by BreakGlassAccessAdmin.get_form: the staff member declaring.
    staff: Any = None

    class Meta:
        model = BreakGlassAccess
        fields = ("node_id", "reason_kind", "reason", "disclosure")
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        customer = (
            get_user_model()
            .objects.filter(email__iexact=cleaned["customer_email"])
            .first()
        )
        if customer is None:
            self.add_error("customer_email", _("No account has this address."))
            return cleaned
        cleaned["customer"] = customer
        try:
            break_glass.validate_declaration(
                staff=self.staff,
                customer=customer,
                node_id=cleaned["node_id"],
                reason_kind=cleaned["reason_kind"],
                reason=cleaned["reason"],
                disclosure=cleaned.get("disclosure"),
                hours=cleaned["hours"],
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class ReviewStatusFilter(admin.SimpleListFilter):
    """Reviewed or not, with the number still waiting for a Privacy officer."""

    title = _("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        waiting = BreakGlassAccess.objects.unreviewed().count()
        return [
            ("no", _("Not reviewed (%(count)d)") % {"count": waiting}),
            ("yes", str(_("Reviewed"))),
        ]

    def queryset(
        self, request: HttpRequest, queryset: models.QuerySet
    ) -> models.QuerySet:
        if self.value() == "no":
            return queryset.filter(reviews__isnull=True)
        if self.value() == "yes":
            return queryset.filter(reviews__isnull=False).distinct()
        return queryset


class BreakGlassReviewInline(ReadOnlyInline):
    model = BreakGlassReview
    fields = ("reviewed_at", "reviewer", "outcome", "note")
    readonly_fields = fields


class BreakGlassUseInline(ReadOnlyInline):
    model = BreakGlassUse
    fields = ("occurred_at", "action", "event_id")
    readonly_fields = fields


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(admin.ModelAdmin):
    """Security auditors declare (admin's second factor applies); nobody changes or deletes."""

    form = BreakGlassDeclarationForm
    # Fits 1280 px beside the filters; the reason and the window are on each row's page.
    list_display = ("declared_at", "node_id", "customer", "staff", "review_status")
    list_select_related = ("customer", "staff")
    list_filter = (ReviewStatusFilter, "reason_kind")
    # A plain choice of orders (authority and date): auditors cannot open the register.
    inlines = (BreakGlassReviewInline, BreakGlassUseInline)
    add_fieldsets = (
        (None, {"fields": ("reason_kind", "reason", "disclosure", "hours")}),
        (_("Personal data"), {"fields": ("customer_email", "node_id")}),
    )
    readonly_fields = (
        "staff",
        "customer",
        "node_id",
        "reason_kind",
        "reason",
        "disclosure",
        "starts_at",
        "ends_at",
        "declared_at",
        "officers_notified_at",
        "customer_notified_at",
        "review_link",
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        return (
            (
                None,
                {
                    "fields": (
                        "staff",
                        "reason_kind",
                        "reason",
                        "disclosure",
                        "starts_at",
                        "ends_at",
                        "declared_at",
                        "officers_notified_at",
                        "customer_notified_at",
                        "review_link",
                    )
                },
            ),
            (_("Personal data"), {"fields": ("customer", "node_id")}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change, **kwargs)
        # The form's own fields: customer_email and hours are no model fields.
        kwargs["fields"] = None
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"staff": request.user})

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The group itself, not a permission a superuser holds anyway.
        return break_glass.is_security_auditor(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: BreakGlassAccess, form: Any, change: bool
    ) -> None:
        now = timezone.now()
        obj.staff = request.user  # type: ignore[assignment]
        obj.customer = form.cleaned_data["customer"]
        obj.starts_at = obj.declared_at = now
        obj.ends_at = now + timedelta(hours=form.cleaned_data["hours"])
        break_glass.record_declaration(obj)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        # The latest review's outcome in the list's one query, not one query a row.
        latest = BreakGlassReview.objects.filter(access=models.OuterRef("pk")).order_by(
            "-reviewed_at", "-pk"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(latest_outcome=models.Subquery(latest.values("outcome")[:1]))
        )

    @admin.display(description=_("review"))
    def review_status(self, obj: BreakGlassAccess) -> str:
        outcome = getattr(obj, "latest_outcome", None)
        if outcome is None:
            return str(_("Not reviewed"))
        return choice_label(BreakGlassReview.Outcome, outcome)

    @admin.display(description=_("review"))
    def review_link(self, obj: BreakGlassAccess) -> str:
        url = reverse("admin:auditlog_breakglassreview_add") + f"?access={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Record a review"))


@admin.register(BreakGlassReview)
class BreakGlassReviewAdmin(admin.ModelAdmin):
    """Privacy officers add reviews; a review is never changed, a later one supersedes it."""

    fields = ("access", "outcome", "note")
    list_display = ("reviewed_at", "access", "reviewer", "outcome")
    list_select_related = ("access", "reviewer")
    list_filter = ("outcome",)
    raw_id_fields = ("access",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return break_glass.is_privacy_officer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: BreakGlassReview, form: Any, change: bool
    ) -> None:
        obj.reviewer = request.user  # type: ignore[assignment]
        obj.reviewed_at = timezone.now()
        obj.save()
