from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("profiles/", views.profile_list, name="profile-list"),
    path("profiles/new/", views.profile_create, name="profile-create"),
    path("profiles/<int:pk>/", views.profile_edit, name="profile-edit"),
    path("profiles/<int:pk>/default/", views.profile_default, name="profile-default"),
    path("documents/", views.document_list, name="document-list"),
    path("documents/<int:pk>/", views.document_detail, name="document-detail"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="document-pdf"),
    path("documents/<int:pk>/xml/", views.document_xml, name="document-xml"),
    path(
        "payments/<int:pk>/certificate/",
        views.payment_certificate_upload,
        name="payment-certificate-upload",
    ),
    path(
        "payments/<int:pk>/certificate/pdf/",
        views.payment_certificate,
        name="payment-certificate",
    ),
]
