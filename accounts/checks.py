"""System checks of the accounts app."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def lockout_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """accounts.lockout counts failures per account and address pair; say so if misconfigured."""
    if getattr(settings, "AXES_HANDLER", "") != "accounts.lockout.FailureWindowHandler":
        return []
    errors: list[CheckMessage] = []
    if settings.AXES_LOCKOUT_PARAMETERS != [["username", "ip_address"]]:
        errors.append(
            Error(
                "accounts.lockout.FailureWindowHandler locks account and address pairs.",
                hint='Set AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]].',
                id="accounts.E001",
            )
        )
    if not getattr(settings, "AXES_ENABLE_ACCESS_FAILURE_LOG", False):
        errors.append(
            Error(
                "accounts.lockout.FailureWindowHandler counts failures from axes' failure log.",
                hint="Set AXES_ENABLE_ACCESS_FAILURE_LOG = True.",
                id="accounts.E002",
            )
        )
    return errors
