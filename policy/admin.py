"""Privacy officer's admin: drafts, preview, publication, acceptance counts and CSV export."""

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onespace.csv_export import spreadsheet_safe
from onespace.pdf import html_to_pdf
from policy import current, services
from policy.forms import BreachForm, PublishForm
from policy.models import (
    Acceptance,
    Breach,
    ConsentRecord,
    DataExport,
    ErasureRecord,
    NoticeDelivery,
    NoticeVersion,
    pseudonym_of,
)
from policy.registry import registry
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


def _record_search(request: HttpRequest, email: str, label: str) -> None:
    """A staff search by a customer's email address is a read of their data (clause 2)."""
    subject = (
        get_user_model()
        .objects.filter(email__iexact=email)
        .values_list("pk", flat=True)
    ).first()
    staff_read(request, subject_id=subject, object_label=label)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept as proof: shown, never added, changed or deleted here."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
        _record_search(request, term, "policy.acceptance:search")
        return queryset.filter(pseudonym=pseudonym_of(term)), False

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


# --- Privacy rights: exports, erasures, breaches, record of processing -------------------


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    """Each data export a customer asked for (PDPA s.30-31): recorded, never edited."""

    list_display = (
        "pk",
        "customer",
        "requested_at",
        "ready_at",
        "expires_at",
        "downloaded_at",
        "size",
    )
    list_select_related = ("customer",)
    search_fields = ("=customer__email",)
    ordering = ("-requested_at",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[DataExport], search_term: str
    ) -> tuple[QuerySet[DataExport], bool]:
        if "@" in search_term:
            _record_search(request, search_term.strip(), "policy.dataexport:search")
        return super().get_search_results(request, queryset, search_term)

    fields = (
        "customer",
        "requested_at",
        "ready_at",
        "expires_at",
        "downloaded_at",
        "file_deleted_at",
        "size",
        "counts",
    )


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    """Account closures: when asked, when erased, how many rows per category; no erased data."""

    list_display = (
        "pseudonym_short",
        "state_display",
        "requested_at",
        "erase_after",
        "erased_at",
        "due_by",
    )
    list_filter = ("erased_at",)
    search_fields = ("=pseudonym",)
    ordering = ("-requested_at",)
    fields = (
        "pseudonym",
        "requested_at",
        "erase_after",
        "cancelled_at",
        "erased_at",
        "counts",
    )

    @admin.display(description=_("pseudonym"))
    def pseudonym_short(self, obj: ErasureRecord) -> str:
        return obj.pseudonym[:16] + "…"

    @admin.display(description=_("state"))
    def state_display(self, obj: ErasureRecord) -> str:
        return obj.get_state_display()

    @admin.display(description=_("answer due by (30 days)"))
    def due_by(self, obj: ErasureRecord) -> Any:
        return obj.due_by

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The privacy officer searches by the address; only its keyed hash is stored.
        if "@" in search_term:
            return queryset.filter(pseudonym=pseudonym_of(search_term)), False
        return super().get_search_results(request, queryset, search_term)


def _time_left(breach: Breach) -> str:
    if breach.notified_regulator_at:
        if breach.is_overdue():
            return str(_("notified late"))
        return str(_("notified in time"))
    left = breach.time_left()
    if left.total_seconds() < 0:
        hours = int(-left.total_seconds() // 3600)
        return str(_("OVERDUE by %(hours)d h") % {"hours": hours})
    hours, seconds = divmod(int(left.total_seconds()), 3600)
    return str(
        _("%(hours)d h %(minutes)d min left")
        % {"hours": hours, "minutes": seconds // 60}
    )


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    """Breach register (PDPA s.37(4)): the 72-hour regulator deadline and customer notices."""

    form = BreachForm
    list_display = (
        "became_aware_at",
        "short_description",
        "risk",
        "people_affected",
        "regulator_deadline",
        "time_left",
        "notified_regulator_at",
    )
    list_filter = ("risk",)
    ordering = ("-became_aware_at",)
    filter_horizontal = ("affected_customers",)
    readonly_fields = ("regulator_deadline", "time_left", "created_at", "notices_sent")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "detected_at",
                    "became_aware_at",
                    "description",
                    "measures",
                    "risk",
                )
            },
        ),
        (
            _("Who and what"),
            {"fields": ("categories", "people_affected", "affected_customers")},
        ),
        (
            _("Regulator (72 hours)"),
            {"fields": ("regulator_deadline", "time_left", "notified_regulator_at")},
        ),
        (_("Record"), {"fields": ("created_at", "notices_sent")}),
    )
    actions = ("notify_customers",)
    change_list_template = "policy/admin/breach_change_list.html"

    @admin.display(description=_("what happened"))
    def short_description(self, obj: Breach) -> str:
        return obj.description[:80]

    @admin.display(description=_("regulator deadline"))
    def regulator_deadline(self, obj: Breach) -> Any:
        return obj.regulator_deadline if obj.became_aware_at else "—"

    @admin.display(description=_("time left"))
    def time_left(self, obj: Breach) -> str:
        return _time_left(obj) if obj.became_aware_at else "—"

    @admin.display(description=_("customers emailed"))
    def notices_sent(self, obj: Breach) -> int:
        return obj.notices.count() if obj.pk else 0

    @admin.action(
        description=_("Email the affected customers (once each, in their language)"),
        permissions=["notify"],
    )
    def notify_customers(
        self, request: HttpRequest, queryset: QuerySet[Breach]
    ) -> None:
        queued = sum(services.notify_breach(breach) for breach in queryset)
        self.message_user(
            request,
            _("%(count)d email(s) queued; customers already told are skipped.")
            % {"count": queued},
            messages.SUCCESS,
        )

    def has_notify_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("policy.notify_breach")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "processing-record/",
                self.admin_site.admin_view(self.processing_record_view),
                name="policy_processing_record",
            ),
            path(
                "processing-record/pdf/",
                self.admin_site.admin_view(self.processing_record_pdf),
                name="policy_processing_record_pdf",
            ),
            *super().get_urls(),
        ]

    def _processing_context(self) -> dict[str, Any]:
        return {
            "categories": list(registry),
            "controller": settings.BILLING_SELLER
            if hasattr(settings, "BILLING_SELLER")
            else {},
            "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
            "generated_at": timezone.now(),
        }

    def processing_record_view(self, request: HttpRequest) -> HttpResponse:
        """Record of processing activities (PDPA s.39), generated from the registry."""
        if not request.user.has_perm("policy.view_processing_record"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **self._processing_context(),
            "title": _("Record of processing activities"),
            "opts": self.opts,
        }
        return TemplateResponse(request, "policy/admin/processing_record.html", context)

    def processing_record_pdf(self, request: HttpRequest) -> HttpResponse:
        """The same record as a PDF, in the active language."""
        if not request.user.has_perm("policy.view_processing_record"):
            raise PermissionDenied
        html = render_to_string(
            "policy/processing_record_pdf.html",
            self._processing_context(),
            request=request,
        )
        response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
        response["Content-Disposition"] = (
            'attachment; filename="record-of-processing.pdf"'
        )
        return response
