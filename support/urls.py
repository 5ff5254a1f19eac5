from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:pk>/state/", views.ticket_state, name="ticket-state"),
    path(
        "attachments/<int:pk>/",
        views.attachment_download,
        name="attachment-download",
    ),
]
