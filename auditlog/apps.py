from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditlogConfig(AppConfig):
    name = "auditlog"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import (
            user_logged_in,
            user_logged_out,
            user_login_failed,
        )
        from django.db.models.signals import post_migrate, post_save, pre_save

        from auditlog import buffer, checks, receivers, roles  # noqa: F401
        from policy.signals import daily_maintenance, personal_data_viewed

        user_logged_in.connect(receivers.on_logged_in, dispatch_uid="auditlog.login")
        user_logged_out.connect(receivers.on_logged_out, dispatch_uid="auditlog.logout")
        user_login_failed.connect(
            receivers.on_login_failed, dispatch_uid="auditlog.login_failed"
        )
        user_locked_out.connect(
            receivers.on_locked_out, dispatch_uid="auditlog.lockout"
        )
        user = get_user_model()
        pre_save.connect(
            receivers.on_user_pre_save, sender=user, dispatch_uid="auditlog.pw1"
        )
        post_save.connect(
            receivers.on_user_post_save, sender=user, dispatch_uid="auditlog.pw2"
        )
        post_migrate.connect(roles.grant_group_permissions, sender=self)
        personal_data_viewed.connect(
            receivers.on_personal_data_viewed, dispatch_uid="auditlog.staff_read"
        )
        daily_maintenance.connect(
            receivers.on_daily_maintenance, dispatch_uid="auditlog.daily"
        )
        receivers.wrap_admin_change_views()
        buffer.install_sigterm_handler()
