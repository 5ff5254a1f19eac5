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


@register()
def rights_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """PDPA: an erasure request is answered within 30 days, cool-off included."""
    errors: list[CheckMessage] = []
    cool_off = getattr(settings, "ACCOUNT_CLOSURE_COOL_OFF", None)
    if not isinstance(cool_off, timedelta) or not (
        timedelta(0) <= cool_off < timedelta(days=30)
    ):
        errors.append(
            Error(
                "ACCOUNT_CLOSURE_COOL_OFF must be a timedelta under 30 days: erasure "
                "is complete within 30 days of the request (PDPA).",
                id="policy.E010",
            )
        )
    valid = getattr(settings, "POLICY_EXPORT_VALID_FOR", None)
    if not isinstance(valid, timedelta) or valid <= timedelta(0):
        errors.append(
            Error(
                "POLICY_EXPORT_VALID_FOR must be a positive timedelta.",
                id="policy.E011",
            )
        )
    return errors


@register()
def published_registry(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The "what we collect" table customers were told about matches the registry.

    A new category, purpose, basis, retention, recipient or field reaches customers only
    through a new notice version: until one is drafted (or scheduled with it), the live
    registry must be what the version in force published.
    """
    from django.db import DatabaseError

    from policy import snapshot
    from policy.models import NoticeVersion

    try:
        in_force = NoticeVersion.objects.in_force()
        if in_force is None or not in_force.registry_snapshot:
            return []
        live = snapshot.take()
        changed = snapshot.differences(in_force.registry_snapshot, live)
        if not changed:
            return []
        scheduled = NoticeVersion.objects.scheduled()
        if scheduled is not None and not snapshot.differences(
            scheduled.registry_snapshot, live
        ):
            return []
        if NoticeVersion.objects.drafts().exists():
            return []  # publishing the draft freezes the registry as it is now
    except DatabaseError:
        return []  # no database yet (before migrate): nothing published to compare
    return [
        Error(
            f"The personal-data registry differs from what notice version "
            f"{in_force.label} published, in: {', '.join(changed)}.",
            hint=(
                "Write a draft notice version describing the change and publish it: "
                "the new table reaches customers with its announcement (policy clause 3)."
            ),
            id="policy.E020",
        )
    ]
