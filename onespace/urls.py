from typing import Any, cast

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from accounts import views as accounts_views
from onespace import metrics, views

# The <style> elements Redoc 2.5 (drf-spectacular-sidecar) adds while its bundle loads,
# before it knows the nonce: an empty one and its scrollbar styles.
# tests/browser/test_api_docs.py fails with the new hash when the bundle changes.
REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
]

handler400 = "onespace.views.bad_request"
handler403 = "onespace.views.permission_denied"
handler404 = "onespace.views.page_not_found"
handler500 = "onespace.views.server_error"

api_v1 = [
    path("", include("auditlog.api")),
    path("", include("billing.api")),
    path("", include("support.api")),
    path("", include("policy.api")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("privacy/", include("policy.urls")),
    path("activity/", include("auditlog.urls")),
    path("billing/", include("billing.urls")),
    path("support/", include("support.urls")),
    path(
        "admin/dashboard/",
        admin.site.admin_view(views.dashboard),
        name="staff-dashboard",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        # Redoc writes its styles into <style> elements carrying this response's
        # nonce, after two fixed ones its bundle injects on load (REDOC_STYLE_HASHES);
        # only this page allows them (templates/drf_spectacular/redoc.html).
        csp_override(
            {
                **cast(dict[str, Any], settings.SECURE_CSP),
                "style-src": [CSP.SELF, CSP.NONCE, *REDOC_STYLE_HASHES],
            }
        )(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
]
