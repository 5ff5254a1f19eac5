"""System checks of the audit log's configuration."""

from typing import Any

from django.conf import settings
from django.core import checks

MINIMUM_RETENTION_DAYS = 90


@checks.register(checks.Tags.compatibility)
def check_retention(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """auditlog.E001: traffic data is kept at least 90 days (Computer-related Crime Act s.26)."""
    days = getattr(settings, "AUDITLOG_RETENTION_DAYS", 365)
    if not isinstance(days, int) or days < MINIMUM_RETENTION_DAYS:
        return [
            checks.Error(
                f"AUDITLOG_RETENTION_DAYS is {days!r}; access logs must be kept at least "
                f"{MINIMUM_RETENTION_DAYS} days.",
                hint="Computer-related Crime Act B.E. 2550 s.26: service providers keep "
                "traffic data for at least 90 days. Raise AUDITLOG_RETENTION_DAYS.",
                id="auditlog.E001",
            )
        ]
    return []
