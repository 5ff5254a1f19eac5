"""Breach register (PDPA s.37(4)) and the record of processing (s.39)."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onespace.pdf import html_to_pdf
from policy import services
from policy.forms import BreachForm
from policy.history import VersionedAdmin
from policy.models import Breach, PrivacyRequest
from policy.registry import registry


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
class BreachAdmin(VersionedAdmin):
    """Breach register (PDPA s.37(4)): the 72-hour regulator deadline and customer notices."""

    form = BreachForm
    list_display = (
        "became_aware_at",
        "is_candidate",
        "short_description",
        "risk",
        "people_affected",
        "regulator_deadline",
        "time_left",
        "notified_regulator_at",
    )
    list_filter = ("is_candidate", "risk")
    ordering = ("-became_aware_at",)
    filter_horizontal = ("affected_customers",)
    readonly_fields = (
        "regulator_deadline",
        "time_left",
        "created_at",
        "notices_sent",
        "source",
        "dismissed_at",
        "version",
        "history",
    )
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
        (
            _("Candidate opened automatically"),
            {"fields": ("is_candidate", "source", "dismiss", "dismissed_at")},
        ),
        (
            _("Record"),
            {
                "fields": (
                    "created_at",
                    "notices_sent",
                    "version",
                    "history",
                    "change_reason",
                )
            },
        ),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a breach record is changed through new versions, never removed

    def save_model(
        self, request: HttpRequest, obj: Breach, form: Any, change: bool
    ) -> None:
        if form.cleaned_data.get("dismiss") and obj.dismissed_at is None:
            obj.dismissed_at = timezone.now()
        super().save_model(request, obj, form, change)

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
            # s.39(1)(7): refused requests and why, from the privacy requests.
            "refused_requests": PrivacyRequest.objects.refused().order_by("-closed_at"),
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
