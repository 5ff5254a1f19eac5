"""System checks of the policy app."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string


@register()
def notice_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Policy clause 3: changes are announced before they take effect, and sign-up accepts."""
    errors: list[CheckMessage] = []
    period = getattr(settings, "POLICY_NOTICE_PERIOD", None)
    if not isinstance(period, timedelta) or period <= timedelta(0):
        errors.append(
            Error(
                "POLICY_NOTICE_PERIOD must be a positive timedelta: a new notice version "
                "is announced before it takes effect (policy clause 3).",
                id="policy.E001",
            )
        )
    from policy.forms import SignupForm

    try:
        form_class = import_string(settings.SIGNUP_FORM_CLASS)
    except (AttributeError, ImportError):
        form_class = None
    if form_class is None or not issubclass(form_class, SignupForm):
        errors.append(
            Error(
                "SIGNUP_FORM_CLASS must be policy.forms.SignupForm or a subclass: "
                "no account without accepting the privacy notice.",
                id="policy.E002",
            )
        )
    return errors
