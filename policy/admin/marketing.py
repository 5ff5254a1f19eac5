"""Marketing emails in admin: written in Thai and English, sent only to consenting customers."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from policy import services
from policy.admin.base import ReadOnlyAdmin
from policy.models import MarketingDelivery, MarketingEmail


@admin.register(MarketingEmail)
class MarketingEmailAdmin(admin.ModelAdmin):
    """Drafts and sends; the send action reaches only customers who consent and did not object."""

    list_display = ("subject_th", "created_at", "queued_at", "recipients_now")
    readonly_fields = ("created_at", "queued_at")
    actions = ("send_to_consenting",)

    @admin.display(description=_("would go to now"))
    def recipients_now(self, obj: MarketingEmail) -> int:
        return services.marketing_recipients().count()

    @admin.action(
        description=_("Send to customers who consent (once each)"),
        permissions=["send"],
    )
    def send_to_consenting(
        self, request: HttpRequest, queryset: QuerySet[MarketingEmail]
    ) -> None:
        queued = sum(services.queue_marketing_email(email) for email in queryset)
        self.message_user(
            request,
            _("%(count)d email(s) queued, only to customers who consent.")
            % {"count": queued},
            messages.SUCCESS,
        )

    def has_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("policy.send_marketingemail")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.queued_at is not None:
            return False  # what was sent stays as it was sent
        return super().has_change_permission(request, obj)


@admin.register(MarketingDelivery)
class MarketingDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "email", "customer")
    list_select_related = ("email", "customer")
