"""Privacy officer's admin: drafts, preview, publication, acceptance counts and CSV export."""

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onespace.csv_export import spreadsheet_safe
from policy import current, services
from policy.admin.base import ReadOnlyAdmin, record_search
from policy.forms import PublishForm
from policy.models import (
    Acceptance,
    ConsentRecord,
    NoticeDelivery,
    NoticeVersion,
    pseudonyms_of,
)
from policy.signals import staff_read


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def acceptance_rows(
    versions: QuerySet[NoticeVersion], request: HttpRequest | None = None
) -> Iterator[str]:
    """CSV lines of every acceptance of ``versions``, read from the database in chunks.

    With ``request`` (a staff download), each customer in the file gets a staff-read
    event when the stream ends (clause 2). Text cells never start a spreadsheet formula.
    """
    writer = csv.writer(_Echo())
    subjects: set[int] = set()
    try:
        yield from _acceptance_lines(writer, versions, subjects)
    finally:
        if request is not None:
            for subject_id in sorted(subjects):
                staff_read(
                    request,
                    subject_id=subject_id,
                    object_label="policy.acceptance:export",
                )


def _acceptance_lines(
    writer: Any, versions: QuerySet[NoticeVersion], subjects: set[int]
) -> Iterator[str]:
    yield writer.writerow(
        [
            "version",
            "fingerprint",
            "accepted_at",
            "source",
            "customer_id",
            "pseudonym",
            "ip_address",
            "user_agent",
        ]
    )
    rows = (
        Acceptance.objects.filter(version__in=versions)
        .order_by("version_id", "accepted_at", "pk")
        .values_list(
            "version__label",
            "fingerprint",
            "accepted_at",
            "source",
            "customer_id",
            "pseudonym",
            "ip_address",
            "user_agent",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        label, fingerprint, at, source, customer, pseudonym, ip, agent = row
        if customer is not None:
            subjects.add(customer)
        yield writer.writerow(
            [
                spreadsheet_safe(label),
                fingerprint,
                at.isoformat(),
                source,
                customer or "",
                pseudonym,
                ip or "",
                spreadsheet_safe(agent),
            ]
        )


@admin.register(NoticeVersion)
class NoticeVersionAdmin(admin.ModelAdmin):
    list_display = (
        "label",
        "state_display",
        "effective_at",
        "published_at",
        "accepted_count",
    )
    list_select_related = ("published_by",)
    search_fields = ("label",)
    ordering = ("-effective_at", "-created_at")
    actions = ("publish", "export_acceptances")
    readonly_fields = (
        "fingerprint",
        "created_at",
        "published_at",
        "published_by",
        "effective_at",
        "preview_link",
    )
    fieldsets = (
        (None, {"fields": ("label",)}),
        (_("Thai (authoritative)"), {"fields": ("text_th", "summary_th")}),
        (_("English"), {"fields": ("text_en", "summary_en")}),
        (
            _("Publication"),
            {
                "fields": (
                    "fingerprint",
                    "created_at",
                    "published_at",
                    "published_by",
                    "effective_at",
                    "preview_link",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[NoticeVersion]:
        active = Q(
            acceptances__customer__is_active=True,
            acceptances__customer__is_staff=False,
            acceptances__customer__email_verified_at__isnull=False,
        )
        return (
            super()
            .get_queryset(request)
            .annotate(accepted_active=Count("acceptances", filter=active))
        )

    @admin.display(description=_("state"))
    def state_display(self, obj: NoticeVersion) -> str:
        # The version in force comes from the process cache: no query per row.
        in_force = current.in_force()
        state = obj.state_at(timezone.now(), in_force.pk if in_force else None)
        return str(NoticeVersion.State(state).label)

    @admin.display(description=_("accepted by active customers"))
    def accepted_count(self, obj: NoticeVersion) -> str:
        return format_html(
            '<a href="{}?version__id__exact={}">{}</a>',
            reverse("admin:policy_acceptance_changelist"),
            obj.pk,
            getattr(obj, "accepted_active", 0),
        )

    @admin.display(description=_("preview"))
    def preview_link(self, obj: NoticeVersion) -> str:
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:policy_noticeversion_preview", args=[obj.pk]),
            _("Preview in Thai and English"),
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: NoticeVersion | None = None
    ) -> Any:
        # Policy clause 3: once published, nothing of a version can be edited.
        if obj is not None and obj.is_published:
            return (
                "label",
                "text_th",
                "summary_th",
                "text_en",
                "summary_en",
                *self.readonly_fields,
            )
        return self.readonly_fields

    def has_change_permission(
        self, request: HttpRequest, obj: NoticeVersion | None = None
    ) -> bool:
        # Policy clause 3: a published version is shown, never edited.
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: NoticeVersion | None = None
    ) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: NoticeVersion, form: Any, change: bool
    ) -> None:
        if change and obj.pk:
            stored = NoticeVersion.objects.filter(pk=obj.pk).first()
            if stored is not None and stored.is_published:
                raise PermissionDenied(_("A published version cannot be edited."))
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        if any(obj.is_published for obj in objs):
            perms_needed = {*perms_needed, str(_("published notice versions"))}
        return deleted, model_count, perms_needed, protected

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="policy_noticeversion_preview",
            ),
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="policy_noticeversion_publish",
            ),
            path(
                "<int:pk>/acceptances.csv",
                self.admin_site.admin_view(self.export_view),
                name="policy_noticeversion_export",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Both languages side by side, as the public page will show them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(NoticeVersion, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview of version %(label)s") % {"label": version.label},
            "version": version,
            "opts": self.opts,
            "can_publish": not version.is_published
            and services.can_publish(request.user),
        }
        return TemplateResponse(request, "policy/admin/preview.html", context)

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Choose the effective date and publish; the service enforces every rule."""
        version = get_object_or_404(NoticeVersion, pk=pk)
        if not services.can_publish(request.user):
            raise PermissionDenied
        form = PublishForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.publish_version(
                    version,
                    by=request.user,  # type: ignore[arg-type]
                    effective_at=form.cleaned_data["effective_at"],
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                self.message_user(
                    request,
                    _("Version %(label)s is published; customers are being emailed.")
                    % {"label": version.label},
                    messages.SUCCESS,
                )
                return redirect("admin:policy_noticeversion_changelist")
        if request.method == "GET":
            earliest = timezone.localtime(
                timezone.now() + settings.POLICY_NOTICE_PERIOD
            )
            form = PublishForm(
                initial={"effective_at": earliest.replace(second=0, microsecond=0)}
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish version %(label)s") % {"label": version.label},
            "version": version,
            "form": form,
            "opts": self.opts,
            "notice_days": settings.POLICY_NOTICE_PERIOD.days,
        }
        return TemplateResponse(request, "policy/admin/publish.html", context)

    def export_view(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        if not request.user.has_perm("policy.view_acceptance"):
            raise PermissionDenied
        return self._csv(request, NoticeVersion.objects.filter(pk=pk))

    def _csv(
        self, request: HttpRequest, versions: QuerySet[NoticeVersion]
    ) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            acceptance_rows(versions, request), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="acceptances.csv"'
        return response

    @admin.action(description=_("Publish the selected draft…"))
    def publish(
        self, request: HttpRequest, queryset: QuerySet[NoticeVersion]
    ) -> HttpResponse | None:
        if not services.can_publish(request.user):
            self.message_user(
                request,
                _("Only the Privacy officer may publish a notice version."),
                messages.ERROR,
            )
            return None
        drafts = list(queryset.filter(published_at__isnull=True)[:2])
        if len(drafts) != 1 or queryset.count() != 1:
            self.message_user(
                request, _("Select exactly one draft to publish."), messages.ERROR
            )
            return None
        return redirect("admin:policy_noticeversion_publish", drafts[0].pk)

    @admin.action(
        description=_("Export acceptance records (CSV)"),
        permissions=["view_acceptance"],
    )
    def export_acceptances(
        self, request: HttpRequest, queryset: QuerySet[NoticeVersion]
    ) -> StreamingHttpResponse:
        return self._csv(request, queryset)

    def has_view_acceptance_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("policy.view_acceptance")


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("accepted_at", "version", "customer", "source", "ip_address")
    list_filter = ("version", "source")
    list_select_related = ("version", "customer")
    search_fields = ("pseudonym",)
    search_help_text = _(
        "Enter an email address: finds its acceptances, also after the account was erased."
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Acceptance], search_term: str
    ) -> tuple[QuerySet[Acceptance], bool]:
        # Proof by address: the email is hashed the way records are pseudonymised.
        term = search_term.strip()
        if not term:
            return queryset, False
        record_search(request, term, "policy.acceptance:search")
        return queryset.filter(pseudonym__in=pseudonyms_of(term)), False

    fieldsets = (
        (None, {"fields": ("version", "fingerprint", "accepted_at", "source")}),
        (
            _("Personal data"),
            {"fields": ("customer", "pseudonym", "ip_address", "user_agent")},
        ),
    )


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("recorded_at", "purpose", "is_given", "customer", "source")
    list_filter = ("purpose", "is_given")
    list_select_related = ("customer",)
    fieldsets = (
        (None, {"fields": ("purpose", "is_given", "recorded_at", "source")}),
        (
            _("Personal data"),
            {"fields": ("customer", "pseudonym", "ip_address", "user_agent")},
        ),
    )


@admin.register(NoticeDelivery)
class NoticeDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "version", "customer")
    list_filter = ("version",)
    list_select_related = ("version", "customer")
