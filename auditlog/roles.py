"""Which staff groups may see the audit log (connected to post_migrate)."""

from typing import Any

from django.contrib.auth.models import Group, Permission

from accounts import roles

LOG_MODELS = ("accesslog", "securityevent", "nodeevent", "deadletter")


def grant_group_permissions(sender: Any = None, **kwargs: Any) -> None:
    """Security auditor: view the logs. Privacy officer: the logs, grants and disclosures."""
    view_logs = [f"view_{model}" for model in LOG_MODELS]
    officer = [
        *view_logs,
        "view_accessgrant",
        "view_disclosure",
        "add_disclosure",
        "change_disclosure",
    ]
    # Break-glass (issue 17): auditors declare, officers review; admin checks the group too.
    auditor = [
        *view_logs,
        "view_breakglassaccess",
        "add_breakglassaccess",
        "view_breakglassuse",
    ]
    officer += [
        "view_breakglassaccess",
        "view_breakglassuse",
        "view_breakglassreview",
        "add_breakglassreview",
    ]
    for role, codenames in (
        (roles.SECURITY_AUDITOR, auditor),
        (roles.PRIVACY_OFFICER, officer),
    ):
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="auditlog", codename__in=codenames
            )
        )
