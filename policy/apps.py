from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = _("Privacy notice")

    def ready(self) -> None:
        from policy import checks, receivers, registry  # noqa: F401 - registers them

        registry.autodiscover()
        post_migrate.connect(
            receivers.grant_privacy_officer_permissions,
            sender=self,
            dispatch_uid="policy.grant_privacy_officer_permissions",
        )
