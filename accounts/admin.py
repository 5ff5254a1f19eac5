"""Staff UI for accounts and service tokens."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static import admin as otp_static_admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import ServiceToken, User
from onespace import third_party_names

# A permission's name is stored in English when its model is migrated ("Can add TOTP
# device"); the four default ones are named again here from the model's translated name.
_DEFAULT_PERMISSIONS = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission: Permission) -> str:
    """App | model | what it allows, in the active language."""
    model = permission.content_type.model_class()
    action = permission.codename.split("_", 1)[0]
    if (
        model is not None
        and action in _DEFAULT_PERMISSIONS
        and permission.codename == f"{action}_{model._meta.model_name}"
    ):
        name = str(_DEFAULT_PERMISSIONS[action]) % {"name": model._meta.verbose_name}
    else:
        name = gettext(permission.name)
    return f"{permission.content_type} | {name}"


class TranslatedPermissionsMixin:
    """Permission pickers list each permission in the staff member's language."""

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and db_field.related_model is Permission:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)

# django-otp writes its admin in English only: the search hint ("Search by user's ..."),
# the sections of the device form ("Identity", "Throttling"), the QR code column and the
# help texts. Its admins are registered before ours (INSTALLED_APPS order) and are
# registered again here in Thai and English; the fields' names are set in
# onespace.third_party_names.
_DEVICE_SECTIONS = {
    "Identity": _("Device"),
    "Timestamps": _("Dates"),
    "Configuration": _("Settings"),
    "State": _("Clock"),
    "Throttling": _("Failed codes"),
}


class TranslatedDeviceAdminMixin:
    search_help_text = _("Search by the staff member's email address")
    # Fits beside the filters at 1280 px; when a device was added is on its page.
    list_display = ["user", "name", "confirmed", "last_used_at"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        return [
            (_DEVICE_SECTIONS.get(name, name) if name else name, options)
            for name, options in fieldsets
        ]


class TOTPDeviceForm(forms.ModelForm):
    class Meta:
        model = TOTPDevice
        fields = (
            "user",
            "name",
            "confirmed",
            "key",
            "step",
            "t0",
            "digits",
            "tolerance",
            "drift",
            "throttling_failure_timestamp",
            "throttling_failure_count",
        )
        help_texts = third_party_names.help_texts("otp_totp", "totpdevice")


class StaticDeviceForm(forms.ModelForm):
    class Meta:
        model = StaticDevice
        fields = ("user", "name", "confirmed")
        help_texts = third_party_names.help_texts("otp_static", "staticdevice")


class TOTPDeviceAdmin(TranslatedDeviceAdminMixin, otp_totp_admin.TOTPDeviceAdmin):
    form = TOTPDeviceForm

    @admin.display(description=_("QR code"))
    def qrcode_link(self, device: TOTPDevice) -> str:
        href = reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": device.pk})
        return format_html('<a href="{}">{}</a>', href, _("Show QR code"))


class StaticDeviceAdmin(TranslatedDeviceAdminMixin, otp_static_admin.StaticDeviceAdmin):
    form = StaticDeviceForm


for _model, _admin_class in (
    (TOTPDevice, TOTPDeviceAdmin),
    (StaticDevice, StaticDeviceAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)


@admin.register(Group)
class GroupAdmin(TranslatedPermissionsMixin, DjangoGroupAdmin):
    """Django's group admin, its permissions named in Thai or English, each staff group
    by its translated name beside the name the code knows it by."""

    list_display = ("__str__", "name")


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(TranslatedPermissionsMixin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal data"), {"fields": ("full_name", "phone", "language")}),
        (
            _("Account state"),
            {
                "fields": (
                    "is_active",
                    "email_verified_at",
                    "password_changed_at",
                    "last_login",
                    "date_joined",
                )
            },
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("password_changed_at", "last_login", "date_joined")
    list_display = ("email", "full_name", "is_staff", "is_active", "has_verified_email")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)

    @admin.display(boolean=True, description=_("email verified"))
    def has_verified_email(self, obj: User) -> bool:
        return obj.email_verified_at is not None

    # A customer leaves through account closure and erasure (PDPA s.33), which keep the
    # evidence the law requires; deleting the row would break acceptances, tax documents
    # and logs that point at it (and the database refuses it while those exist).
    def has_delete_permission(
        self, request: HttpRequest, obj: User | None = None
    ) -> bool:
        if obj is not None and not obj.is_staff:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(
        self,
        request: HttpRequest,
        action_location: ActionLocation = ActionLocation.CHANGE_LIST,
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions


class ServiceTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ServiceToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ServiceToken
        fields = ("name", "scopes")


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    form = ServiceTokenForm
    list_display = (
        "name",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("created_by",)
    readonly_fields = (
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    )
    search_fields = ("name", "prefix")
    actions = ["revoke"]

    def save_model(
        self, request: HttpRequest, obj: ServiceToken, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = obj.set_secret()
        obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        # Shown once on the response page, never stored anywhere (not even in messages).
        request._raw_service_token = raw  # type: ignore[attr-defined]

    def response_add(
        self,
        request: HttpRequest,
        obj: ServiceToken,
        post_url_continue: str | None = None,
    ) -> HttpResponse:
        raw = getattr(request, "_raw_service_token", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "raw_token": raw,
            "title": _("Service token created"),
        }
        response = TemplateResponse(
            request, "accounts/admin_token_created.html", context
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke selected service tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceToken]) -> None:
        count = services.revoke_service_tokens(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d service token revoked.",
                "%(count)d service tokens revoked.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
