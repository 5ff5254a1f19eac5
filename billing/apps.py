from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing import (
            checks,  # noqa: F401  (registers the system checks)
            receivers,
        )

        post_migrate.connect(receivers.grant_finance_permissions, sender=self)
