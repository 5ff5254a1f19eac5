from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import checks, receivers, schema  # noqa: F401  (schema registers itself)
        from onespace.third_party_names import name_third_party_models

        name_third_party_models()

        post_migrate.connect(receivers.grant_unlock_permissions, sender=self)
        user_logged_in.connect(
            receivers.start_session_clock, dispatch_uid="accounts.session_clock"
        )


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the second-factor admin site as ``admin.site``."""

    default = False
    default_site = "accounts.sites.AdminSite"

    def ready(self) -> None:
        super().ready()
        from onespace import admin_dates

        admin_dates.install()
