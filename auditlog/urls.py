from django.urls import path

from auditlog import views

app_name = "auditlog"

urlpatterns = [
    path("", views.node_event_list, name="node-event-list"),
    path("sign-ins/", views.security_event_list, name="security-event-list"),
    path("access/", views.access_log_list, name="access-log-list"),
    path("grants/", views.grant_list, name="grant-list"),
    path("grants/new/", views.grant_create, name="grant-create"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant-revoke"),
]
