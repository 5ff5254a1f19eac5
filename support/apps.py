from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    def ready(self) -> None:
        from support.models import Attachment
        from support.receivers import delete_attachment_file, grant_group_permissions

        # Permissions are created by auth's post_migrate handler, connected before ours.
        post_migrate.connect(
            grant_group_permissions,
            sender=self,
            dispatch_uid="support.grant_group_permissions",
        )
        # Attachment rows also go by cascade (a deleted account); their files follow.
        post_delete.connect(
            delete_attachment_file,
            sender=Attachment,
            dispatch_uid="support.delete_attachment_file",
        )
