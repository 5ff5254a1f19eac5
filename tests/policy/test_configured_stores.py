"""Stores of Django and third-party apps are purged like ours (registry retention)."""

import uuid
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from policy import services

pytestmark = pytest.mark.django_db


def _attempt(model, email, at):
    row = model.objects.create(
        username=email,
        ip_address="203.0.113.5",
        user_agent="Browser",
        http_accept="*/*",
        path_info="/accounts/login/",
        **(
            {"get_data": "", "post_data": "", "failures_since_start": 1}
            if model is AccessAttempt
            else {}
        ),
    )
    model.objects.filter(pk=row.pk).update(attempt_time=at)


def _task(finished_at):
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status="SUCCESSFUL",
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="accounts.tasks.send_password_reminder",
        backend_name="default",
        queue_name="default",
        run_after=None,
        finished_at=finished_at,
    )


def test_purge_removes_expired_rows_of_configured_stores_and_keeps_fresh_ones(
    alice, privacy_officer
):
    now = timezone.now()
    long_ago = now - timedelta(days=settings.AUDITLOG_RETENTION_DAYS + 1)
    # (Deleting a counter deletes the failures it summed: other addresses here.)
    _attempt(AccessAttempt, "old@example.com", long_ago)
    _attempt(AccessAttempt, "new@example.com", now)
    _attempt(AccessFailureLog, "old-failure@example.com", long_ago)
    _attempt(AccessFailureLog, "new-failure@example.com", now)
    Session.objects.create(
        session_key="old" * 10, session_data="x", expire_date=now - timedelta(seconds=1)
    )
    Session.objects.create(
        session_key="new" * 10, session_data="x", expire_date=now + timedelta(days=1)
    )
    for when in (long_ago, now):
        entry = LogEntry.objects.create(
            user=privacy_officer,
            content_type=ContentType.objects.get_for_model(User),
            object_id=str(alice.pk),
            object_repr=alice.email,
            action_flag=CHANGE,
            change_message="[]",
        )
        LogEntry.objects.filter(pk=entry.pk).update(action_time=when)
    old_task, new_task = _task(now - timedelta(days=31)), _task(now)
    waiting = _task(None)

    counts = services.purge_expired(now)

    assert counts["accounts-lockout-attempt"] == 1
    assert counts["accounts-lockout-failure"] == 1
    assert counts["accounts-session"] == 1
    assert counts["accounts-admin-log"] == 1
    assert counts["onespace-task-queue"] == 1
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [
        "new@example.com"
    ]
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == [
        "new-failure@example.com"
    ]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 10]
    assert LogEntry.objects.get().action_time > long_ago
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        new_task.pk,
        waiting.pk,
    }
    assert not DBTaskResult.objects.filter(pk=old_task.pk).exists()
