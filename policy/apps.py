from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = _("Privacy notice")

    def ready(self) -> None:
        from policy import checks, receivers, registry  # noqa: F401 - registers them

        registry.autodiscover()
        user_logged_in.connect(
            receivers.remind_pending_closure,
            dispatch_uid="policy.remind_pending_closure",
        )
        post_migrate.connect(
            receivers.grant_privacy_officer_permissions,
            sender=self,
            dispatch_uid="policy.grant_privacy_officer_permissions",
        )
