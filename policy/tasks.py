"""Background work of the policy app: notice emails, data exports, erasure, breach notices,
and the daily maintenance."""

from typing import cast

from django.tasks import task

from accounts.models import User
from accounts.services import send_password_reminders
from policy import services, signals
from policy.models import (
    Breach,
    DataExport,
    ErasureRecord,
    MarketingEmail,
    NoticeVersion,
)


@task
def announce_version(version_id: int) -> int:
    """Split the active customers into batches and queue one email task per batch."""
    version = NoticeVersion.objects.get(pk=version_id)
    return services.announce_version(version)


@task
def send_notice_batch(version_id: int, customer_ids: list[int]) -> int:
    """Email one batch of customers about a version; already-notified ones are skipped."""
    version = NoticeVersion.objects.get(pk=version_id)
    return services.send_notice_batch(version, customer_ids)


@task
def prepare_export(export_id: int) -> int:
    """Write one customer's data export and email the download link."""
    export = DataExport.objects.select_related("customer").get(pk=export_id)
    return services.prepare_export(export).size


@task
def erase_account(record_id: int) -> int:
    """At the end of the cool-off, erase the account (skipped if cancelled or done)."""
    record = ErasureRecord.objects.due().filter(pk=record_id).first()
    if record is None:
        return 0  # cancelled, already erased (e.g. by purge_expired), or not due yet
    services.erase_account(record)
    return 1


@task
def send_breach_notice(breach_id: int, customer_id: int) -> bool:
    """Email one affected customer about a breach, once."""
    breach = Breach.objects.get(pk=breach_id)
    customer = User.objects.get(pk=customer_id)
    return services.send_breach_notice(breach, customer)


@task
def run_daily_maintenance() -> dict[str, int]:
    """Queue tomorrow's run, then the retention purge, the password reminders, and the
    other apps' daily work (daily_maintenance: audit-log verification and anchor)."""
    # Queued first, so a failure today does not end the daily runs.
    services.schedule_daily_maintenance(run_after=services.next_maintenance_at())
    counts: dict[str, int] = services.purge_expired()
    # Policy 1.1: passwords are changed every 3 months; remind before they expire.
    counts["password-reminders"] = send_password_reminders()
    # Customers who joined or verified after a version was announced, before it takes
    # effect, are told too.
    counts["late-notice-emails"] = services.announce_to_late_joiners()
    for _receiver, result in signals.daily_maintenance.send(sender=None):
        counts.update(cast("dict[str, int]", result or {}))
    return counts


@task
def send_marketing_batch(email_id: int, customer_ids: list[int]) -> int:
    """Send one marketing email to a batch; customers who withdrew meanwhile are skipped."""
    email = MarketingEmail.objects.get(pk=email_id)
    sent = 0
    for customer in User.objects.filter(pk__in=customer_ids):
        sent += services.send_marketing_email(email, customer)
    return sent


@task
def alert_breach_clock(breach_id: int) -> int:
    """At 24, 48 and 66 hours after awareness: email the Privacy officers if still untold."""
    breach = Breach.objects.filter(pk=breach_id).first()
    if breach is None:
        return 0
    return services.send_breach_alerts(breach)
