"""The project's URLs minus the audit-log app: the ticket page must still render."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("support/", include("support.urls")),
]
