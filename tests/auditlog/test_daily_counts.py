"""PostgreSQL keeps per-day counts of the logs for the dashboard, by trigger."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from auditlog import buffer, services
from auditlog.models import DailyCount, NodeEvent, SecurityEvent
from onespace import charts
from tests.auditlog.test_partition_logs import owner_connection  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _node(customer, at, action="start", **extra):
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": at,
                "node_id": "node-1",
                "customer_id": customer.pk,
                "action": action,
                "actor_type": "customer",
                "actor_id": "1",
                "source_ip": "203.0.113.7",
                "details": {},
                **extra,
            }
        ]
    )


def _sign_in(user, at, action=SecurityEvent.Action.SIGN_IN):
    buffer.record(
        "security",
        {
            "occurred_at": at,
            "action": action,
            "user_id": user.pk,
            "attempted_email": "",
            "ip": "203.0.113.7",
            "raw_ip": "",
            "user_agent": "test",
        },
    )


def _counted(log):
    return {
        (day, key): n
        for day, key, n in DailyCount.objects.filter(log=log).values_list(
            "day", "key", "n"
        )
    }


def test_counts_equal_the_logs_grouped_by_bangkok_day(postgres, alice, bob):
    now = datetime.now(tz=charts.BANGKOK).replace(hour=12)
    # 01:00 Bangkok is the evening before in UTC: the Bangkok day counts.
    early = now.replace(hour=1)
    for at in (now, now, early, now - timedelta(days=3)):
        _sign_in(alice, at)
    _sign_in(bob, early)
    _sign_in(bob, now, SecurityEvent.Action.SIGN_IN_FAILED)
    buffer.flush()
    _node(alice, now, "create")
    _node(alice, early, "start")
    _node(alice, now - timedelta(days=30), "start")  # a late event, counted on its day
    buffer.flush()

    grouped = {
        (row["day"], row["action"]): row["n"]
        for row in SecurityEvent.objects.annotate(
            day=TruncDate("occurred_at", tzinfo=charts.BANGKOK)
        )
        .values("day", "action")
        .annotate(n=Count("pk"))
    }
    assert _counted(DailyCount.Log.SECURITY) == grouped
    assert _counted(DailyCount.Log.SECURITY)[(now.date(), "sign_in")] == 4
    nodes = {
        (row["day"], row["action"]): row["n"]
        for row in NodeEvent.objects.annotate(
            day=TruncDate("occurred_at", tzinfo=charts.BANGKOK)
        )
        .values("day", "action")
        .annotate(n=Count("pk"))
    }
    assert _counted(DailyCount.Log.NODE) == nodes
    assert _counted(DailyCount.Log.NODE)[(now.date(), "start")] == 1
    # One row per customer and day for "customers who signed in".
    users = _counted(DailyCount.Log.SIGN_IN_USER)
    assert users[(now.date(), str(alice.pk))] == 3
    assert users[(now.date(), str(bob.pk))] == 1


def test_application_cannot_write_the_counts(runtime_role):
    for sql in (
        "INSERT INTO auditlog_dailycount (day, log, key, n) "
        "VALUES ('2026-01-01', 'node', 'start', 1000)",
        "UPDATE auditlog_dailycount SET n = 0",
        "DELETE FROM auditlog_dailycount",
    ):
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_runtime_role_inserts_log_rows_and_the_trigger_counts_them(runtime_role, alice):
    _node(alice, datetime.now(tz=charts.BANGKOK), "reboot")
    assert DailyCount.objects.filter(log="node", key="reboot").get().n == 1


@pytest.fixture
def unpartitioned_node_events(postgres, owner_connection):  # noqa: F811
    """The node-event table as it was before partitioning, with its triggers (rebuilt
    as the owner role: CI runs the tests as the runtime role)."""
    from django.db import connection as conn

    from auditlog import partitions

    table = "auditlog_nodeevent"
    with transaction.atomic(), conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
        with conn.schema_editor(atomic=False) as editor:
            editor.create_model(NodeEvent)
        cursor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION auditlog_refuse_change();"
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION onespace_refuse_unless_owner();"
            + partitions.COUNT_TRIGGERS[table]
        )
    assert not partitions.is_partitioned(table)
    yield
    partitions.drop_old(table)


@pytest.mark.django_db(transaction=True)
def test_counts_go_on_after_partition_logs_without_counting_twice(
    unpartitioned_node_events, alice
):
    from django.core.management import call_command

    now = datetime.now(tz=charts.BANGKOK)
    _node(alice, now, "reboot")
    call_command("partition_logs", "node", stdout=None)
    _node(alice, now, "reboot")
    assert DailyCount.objects.get(log="node", key="reboot").n == 2
