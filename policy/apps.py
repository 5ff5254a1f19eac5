from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = _("Privacy notice")

    def ready(self) -> None:
        from onespace import db_roles
        from policy import checks, receivers, registry, signals  # noqa: F401

        registry.autodiscover()
        user_logged_in.connect(
            receivers.remind_pending_closure,
            dispatch_uid="policy.remind_pending_closure",
        )
        from axes.signals import user_locked_out

        user_locked_out.connect(
            receivers.count_lockout, dispatch_uid="policy.count_lockout"
        )
        signals.daily_maintenance.connect(
            receivers.on_daily_maintenance,
            dispatch_uid="policy.on_daily_maintenance",
        )
        post_migrate.connect(
            receivers.copy_retention_settings,
            sender=self,
            dispatch_uid="policy.copy_retention_settings",
        )
        # Every app's append-only tables: the runtime role keeps only what they need.
        post_migrate.connect(
            db_roles.restrict_runtime_after_migrate,
            sender=self,
            dispatch_uid="onespace.restrict_runtime",
        )
        post_migrate.connect(
            receivers.grant_privacy_officer_permissions,
            sender=self,
            dispatch_uid="policy.grant_privacy_officer_permissions",
        )
