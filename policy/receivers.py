"""Reactions to the accounts app: an account that goes leaves its proof behind, unnamed."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from onespace.thaidates import format_datetime
from policy.models import Acceptance, ConsentRecord


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def pseudonymise_records(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Before an account is deleted, detach its acceptances and consents from the person.

    The records stay the company's proof (policy clause 3, PDPA s.19) under the keyed hash
    of the email address; the address and browser go with the account.
    """
    # On PostgreSQL only an account whose closure is due (ClosureNotDue otherwise): an
    # account with proof on record is closed through erasure, not deleted early.
    Acceptance.objects.pseudonymise(instance.pk)
    ConsentRecord.objects.pseudonymise(instance.pk)


# What the Privacy officer may do with the privacy-rights records (besides migration 0002).
PRIVACY_OFFICER_PERMISSIONS = (
    "view_dataexport",
    "view_erasurerecord",
    "view_breach",
    "add_breach",
    "change_breach",
    "notify_breach",
    "view_processing_record",
    "view_breachnotice",
    "view_privacyrequest",
    "change_privacyrequest",
    "view_processingobjection",
    "change_processingobjection",
    "view_processor",
    "add_processor",
    "change_processor",
    "view_recordversion",
)


def grant_privacy_officer_permissions(
    sender: Any, using: str = "default", **kwargs: Any
) -> None:
    """After migrate (and after a test flush), the Privacy officer holds these permissions."""
    from django.contrib.auth.models import Group, Permission

    from accounts import roles

    group, _created = Group.objects.using(using).get_or_create(
        name=roles.PRIVACY_OFFICER
    )
    group.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label="policy", codename__in=PRIVACY_OFFICER_PERMISSIONS
        )
    )


def remind_pending_closure(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signing in during the cool-off: say when the account closes and how to keep it."""
    from django.contrib import messages
    from django.urls import reverse
    from django.utils.html import format_html
    from django.utils.translation import gettext as _

    from policy.models import ErasureRecord

    if request is None or getattr(user, "is_staff", False):
        return
    record = ErasureRecord.objects.pending().filter(customer=user).first()
    if record is None:
        return
    messages.warning(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("Your account is scheduled to be closed and erased on %(date)s.")
            % {"date": format_datetime(record.erase_after)},
            reverse("policy:close-account"),
            _("Keep my account"),
        ),
        fail_silently=True,  # force_login and tests sign in without the messages layer
    )


# Django settings that the database's own functions read (migrations policy 0005,
# auditlog 0003, billing 0006): a timedelta is stored in seconds.
DATABASE_SETTINGS = (
    "AUDITLOG_RETENTION_DAYS",
    "BILLING_FISCAL_YEAR_END",
    "ACCOUNT_CLOSURE_COOL_OFF",
)


def copy_retention_settings(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After migrate (run by the owner role), the database holds the settings its purges read.

    The runtime role can read them but not write them (policy.RetentionSetting).
    """
    from policy.models import RetentionSetting

    for name in DATABASE_SETTINGS:
        value = getattr(settings, name)
        if isinstance(value, timedelta):
            value = int(value.total_seconds())
        RetentionSetting.objects.using(using).update_or_create(
            key=name, defaults={"value": str(value)}
        )


def on_daily_maintenance(sender: Any, **kwargs: Any) -> dict[str, int]:
    """Daily: privacy-request reminders and overdue emails; missed breach-clock alerts."""
    from policy.services import send_breach_alerts, send_request_reminders

    return {
        "privacy-request-emails": send_request_reminders(),
        # A backstop for the deferred alert tasks (a worker that was down).
        "breach-clock-alerts": send_breach_alerts(),
    }


def count_lockout(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """axes locked an account out: a spike of lockouts opens a breach candidate."""
    from policy.services import count_lockout as count

    count()
