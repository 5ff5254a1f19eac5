"""Password validator that refuses the account's recent passwords (policy 1.1)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class RecentPasswordValidator:
    """Refuse the current password and the ones before it, up to ``PASSWORD_HISTORY_SIZE``."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        hashes = list(
            user.password_history.values_list("password", flat=True)[
                : settings.PASSWORD_HISTORY_SIZE
            ]
        )
        if user.password:
            hashes.append(user.password)
        # hashers.check_password without a setter: a check must never rewrite the hash.
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                self.get_error_message(), code="password_recently_used"
            )

    def get_error_message(self) -> str:
        return ngettext(
            "You used this password recently. Choose one that differs from your last password.",
            "You used this password recently. Choose one that differs from your last %(count)d passwords.",
            settings.PASSWORD_HISTORY_SIZE,
        ) % {"count": settings.PASSWORD_HISTORY_SIZE}

    def get_help_text(self) -> str:
        return _("Your password cannot be one of your last %(count)d passwords.") % {
            "count": settings.PASSWORD_HISTORY_SIZE
        }
