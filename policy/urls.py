from django.urls import path

from policy import views

app_name = "policy"

urlpatterns = [
    path("", views.notice, name="notice"),
    path("versions/", views.version_list, name="version-list"),
    path("versions/<slug:label>/", views.version_detail, name="version-detail"),
    path(
        "versions/<slug:old>/diff/<slug:new>/",
        views.version_diff,
        name="version-diff",
    ),
    path("scheduled/", views.scheduled, name="scheduled"),
    path("gate/", views.gate, name="gate"),
    path("accept/", views.accept, name="accept"),
    path("me/", views.my_privacy, name="my-privacy"),
    path("me/consents/", views.consent, name="consent"),
    path("my-data/", views.my_data, name="my-data"),
    path("my-data/exports/", views.export, name="export"),
    path(
        "my-data/exports/<int:pk>/download/",
        views.export_download,
        name="export-download",
    ),
    path("my-data/close/", views.close_account, name="close-account"),
    path(
        "my-data/close/cancel/",
        views.close_account_cancel,
        name="close-account-cancel",
    ),
    path("requests/new/", views.request_create, name="request-create"),
    path("requests/<uuid:public_id>/", views.request_detail, name="request-detail"),
    path("requests/<uuid:public_id>/code/", views.request_code, name="request-code"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
