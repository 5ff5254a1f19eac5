"""Names of the staff groups, created by migration accounts.0002.

The names are identifiers (code and migrations look groups up by them); staff read the
group in their language (LABELS, shown as the group's name in admin).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import pgettext_lazy

SUPPORT = "Support"
SECURITY_AUDITOR = "Security auditor"
FINANCE = "Finance"
PRIVACY_OFFICER = "Privacy officer"

ALL = (SUPPORT, SECURITY_AUDITOR, FINANCE, PRIVACY_OFFICER)

LABELS = {
    SUPPORT: pgettext_lazy("staff group", "Support"),
    SECURITY_AUDITOR: pgettext_lazy("staff group", "Security auditor"),
    FINANCE: pgettext_lazy("staff group", "Finance"),
    PRIVACY_OFFICER: pgettext_lazy("staff group", "Privacy officer"),
}


def members(group: str) -> Any:
    """The active staff of ``group`` (a QuerySet of users): whom its emails go to."""
    return get_user_model().objects.filter(groups__name=group, is_active=True)
