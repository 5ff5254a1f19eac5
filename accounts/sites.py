"""The admin site: staff only, and only with a verified TOTP second factor."""

from typing import Any, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts import roles
from onespace.redirects import safe_next_url

# Who sees the usage dashboard (onespace/dashboard.py): counts of sign-ins, node
# events, violations, privacy requests and tickets, besides superusers.
DASHBOARD_GROUPS = (roles.SECURITY_AUDITOR, roles.PRIVACY_OFFICER)


class AdminSite(admin.AdminSite):
    """Django admin for staff who passed the second factor; customers never reach it.

    Staff see every customer's data, so a password alone is not enough: admin pages
    refuse a session whose TOTP device is not verified (django-otp's OTPMiddleware).
    """

    site_header = _("OneSpace staff admin")
    site_title = _("OneSpace staff admin")
    index_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and getattr(user, "is_verified", lambda: False)()
        )

    def has_dashboard_permission(self, request: HttpRequest) -> bool:
        """Superusers, Security auditors and Privacy officers see the usage dashboard."""
        user = request.user
        if not self.has_permission(request):
            return False
        if user.is_superuser:
            return True
        return user.groups.filter(name__in=DASHBOARD_GROUPS).exists()

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """The app list, with a link to the usage dashboard for those who may see it."""
        extra_context = {
            **(extra_context or {}),
            "show_dashboard": self.has_dashboard_permission(request),
        }
        return super().index(request, extra_context)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Admin has no login of its own: the portal's sign-in, then the second factor."""
        # The raw ``next`` would become LoginView's next_page, which Django follows
        # without checking: only a path on this site goes through.
        next_url = safe_next_url(
            request,
            request.GET.get("next"),
            reverse("admin:index", current_app=self.name),
        )
        if not request.user.is_authenticated:
            # The portal's own sign-in form (same axes lockout, same templates),
            # served here so /admin/login/ is a page, not a bounce.
            # Imported late: the admin site is built before views and forms load.
            from accounts.views import LoginView

            view = LoginView.as_view(next_page=next_url, extra_context=extra_context)
            return cast(HttpResponse, view(request))
        if not request.user.is_staff:
            raise PermissionDenied
        return redirect(
            reverse("accounts:second-factor") + "?" + urlencode({"next": next_url})
        )
