"""The daily maintenance run: scheduled at a quiet hour, Bangkok time, by the task queue itself."""

from datetime import datetime, timedelta

from django.tasks import TaskResultStatus
from django.utils import timezone

# Daily maintenance runs at a quiet hour, Bangkok time.
DAILY_MAINTENANCE_HOUR = 3


def next_maintenance_at(now: datetime | None = None) -> datetime:
    """Tomorrow at DAILY_MAINTENANCE_HOUR, Bangkok time."""
    tomorrow = timezone.localtime(now or timezone.now()) + timedelta(days=1)
    return tomorrow.replace(
        hour=DAILY_MAINTENANCE_HOUR, minute=0, second=0, microsecond=0
    )


def can_schedule_maintenance() -> bool:
    """Whether the task backend is the database queue, which can hold a run for later."""
    from django_tasks_db import DatabaseBackend

    from policy.tasks import run_daily_maintenance

    return isinstance(run_daily_maintenance.get_backend(), DatabaseBackend)


def schedule_daily_maintenance(*, run_after: datetime | None = None) -> bool:
    """Queue the daily maintenance task unless a run is already waiting; True if queued.

    Only the database backend can hold a run for later; with any other backend this
    does nothing (run ``purge_expired`` and ``send_password_reminders`` from cron).
    A duplicate queued by two concurrent callers heals itself: the first run sees the
    other waiting and does not queue another.
    """
    from django_tasks_db.models import DBTaskResult

    from policy.tasks import run_daily_maintenance

    task = run_daily_maintenance
    if not can_schedule_maintenance():
        return False
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=task.module_path
    )
    if waiting.exists():
        return False
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue()
    return True
