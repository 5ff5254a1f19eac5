"""Daily maintenance without cron: a self-rescheduling task on the database queue."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.tasks import send_password_reminder
from policy import services
from policy.models import ErasureRecord
from policy.tasks import run_daily_maintenance
from tests import owner

pytestmark = pytest.mark.django_db

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 17:00 in Bangkok


@pytest.fixture
def database_queue(settings):
    """The production backend: runs wait in the database until a worker takes them."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def queued_maintenance():
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=run_daily_maintenance.module_path
    )


def test_daily_run_purges_reminds_and_queues_exactly_one_next_run(
    database_queue, alice, bob
):
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        record = services.request_closure(alice)
    owner.let_cool_off_pass(timedelta(days=10))
    bob.password_changed_at = NOW - timedelta(days=77)
    bob.save(update_fields=["password_changed_at"])
    with time_machine.travel(NOW, tick=False):
        counts = run_daily_maintenance.call()
    record.refresh_from_db()
    assert record.erased_at is not None
    assert counts["accounts"] == 1
    assert counts["password-reminders"] == 1
    assert DBTaskResult.objects.filter(
        task_path=send_password_reminder.module_path
    ).exists()
    [next_run] = queued_maintenance()
    assert next_run.run_after == datetime(2026, 11, 26, 3, 0, tzinfo=BANGKOK)


def test_daily_run_does_not_queue_a_second_next_run(database_queue):
    with time_machine.travel(NOW, tick=False):
        run_daily_maintenance.call()
        run_daily_maintenance.call()
    assert queued_maintenance().count() == 1


def test_schedule_periodic_twice_queues_one_run(database_queue):
    out = StringIO()
    call_command("schedule_periodic", stdout=out)
    call_command("schedule_periodic", stdout=out)
    [run] = queued_maintenance()
    assert run.task.run_after is None  # the first run starts as soon as a worker does
    assert "already queued" in out.getvalue()


def test_schedule_periodic_does_nothing_without_the_database_queue():
    out = StringIO()
    call_command("schedule_periodic", stdout=out)
    assert not DBTaskResult.objects.exists()
    assert "not the database queue" in out.getvalue()


def test_purge_expired_command_reports_each_step(database_queue, alice):
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        services.request_closure(alice)
    owner.let_cool_off_pass(timedelta(days=10))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_expired", stdout=out)
    assert "accounts erased: 1" in out.getvalue()
    assert ErasureRecord.objects.get().erased_at is not None
