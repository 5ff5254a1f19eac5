"""Hash chain, verify_auditlog, append-only triggers, retention purge and the retention check."""

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from auditlog import buffer, chain, checks, services
from auditlog.models import GENESIS, AccessLog, NodeEvent, PurgeCheckpoint
from tests import owner

pytestmark = pytest.mark.django_db


def _log(n, **values):
    for i in range(n):
        buffer.record(
            "access",
            {
                "occurred_at": timezone.now(),
                "user_id": None,
                "ip": "192.0.2.1",
                "user_agent": "test",
                "method": "GET",
                "path": f"/page/{i}",
                "status": 200,
                "duration_ms": 3,
                **values,
            },
        )
    buffer.flush()


def _verify(*tables):
    out = StringIO()
    try:
        call_command("verify_auditlog", *tables, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def test_rows_are_chained_across_flushes():
    _log(3)
    _log(2)
    rows = list(AccessLog.objects.order_by("id"))
    assert rows[0].prev_hash == GENESIS
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    assert list(chain.verify(AccessLog)) == []
    ok, out = _verify("access")
    assert ok
    assert "chain intact" in out


def _raw(sql, params):
    # Tampering goes around the ORM and, on PostgreSQL, around the triggers' guard: what
    # only someone with the owner role's password can do.
    if connection.vendor == "postgresql":
        owner.as_owner("ALTER TABLE auditlog_accesslog DISABLE TRIGGER USER")
        owner.as_owner(sql, params)
        owner.as_owner("ALTER TABLE auditlog_accesslog ENABLE TRIGGER USER")
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_reports_a_changed_record():
    _log(5)
    target = AccessLog.objects.order_by("id")[2]
    _raw(
        "UPDATE auditlog_accesslog SET ip = %s WHERE id = %s",
        ["198.51.100.9", target.pk],
    )
    problems = list(chain.verify(AccessLog))
    assert [(p.kind, p.row_id) for p in problems] == [("changed", target.pk)]
    ok, out = _verify("access")
    assert not ok
    assert f"record {target.pk}" in out


def test_verify_reports_a_removed_record():
    _log(5)
    rows = list(AccessLog.objects.order_by("id"))
    _raw("DELETE FROM auditlog_accesslog WHERE id = %s", [rows[2].pk])
    problems = list(chain.verify(AccessLog))
    assert [(p.kind, p.row_id) for p in problems] == [("removed", rows[3].pk)]


def test_verify_reports_an_inserted_record():
    _log(3)
    rows = list(AccessLog.objects.order_by("id"))
    # A forger copies a row and gives it a well-formed link to the first row, then
    # squeezes it in by renumbering the later rows.
    forged_hash = chain.row_hash(
        rows[0].hash,
        [getattr(rows[1], f) for f in AccessLog.chain_fields],
        added_last=True,
    )
    _raw("UPDATE auditlog_accesslog SET id = id + 100 WHERE id > %s", [rows[0].pk])
    _raw(
        "INSERT INTO auditlog_accesslog (id, prev_hash, hash, occurred_at, ip, browser_family, browser_version, os_family, user_agent, method, path, status, duration_ms) "
        "SELECT %s, %s, %s, occurred_at, ip, browser_family, browser_version, os_family, user_agent, method, path, status, duration_ms FROM auditlog_accesslog WHERE id = %s",
        [rows[0].pk + 1, rows[0].hash, forged_hash, rows[1].pk + 100],
    )
    problems = list(chain.verify(AccessLog))
    assert ("inserted", rows[0].pk + 1) in [(p.kind, p.row_id) for p in problems]


def test_purge_keeps_the_chain_verifiable(settings):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        _log(3)
    _log(2)
    assert services.purge_log(AccessLog, time_field="occurred_at") == 3
    assert AccessLog.objects.count() == 2
    assert PurgeCheckpoint.objects.get().purged_count == 3
    assert list(chain.verify(AccessLog)) == []
    _log(1)
    assert list(chain.verify(AccessLog)) == []


def test_purge_expired_command_purges_logs_past_retention(settings):
    with time_machine.travel(timezone.now() - timedelta(days=366)):
        _log(2)
    _log(1)
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert AccessLog.objects.count() == 1
    assert "auditlog-access-log: 2 purged" in out.getvalue()


def test_purge_task_purges_node_events_by_reception_time(alice):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        services.ingest_node_events([_node_event(alice)])
    services.ingest_node_events([_node_event(alice)])
    from auditlog.tasks import purge_expired_logs

    result = purge_expired_logs.enqueue()
    assert result.return_value["node"] == 1
    assert NodeEvent.objects.count() == 1
    assert list(chain.verify(NodeEvent)) == []


def _node_event(customer):
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": timezone.now(),
        "node_id": "n1",
        "customer_id": customer.pk,
        "action": "start",
        "actor_type": "system",
        "actor_id": "",
        "source_ip": None,
        "details": {"nested": {"b": 1, "a": [1, 2.5]}},
    }


def test_node_events_with_json_details_verify(alice):
    services.ingest_node_events([_node_event(alice) for _ in range(5)])
    assert list(chain.verify(NodeEvent)) == []


def test_retention_below_90_days_fails_the_system_check(settings):
    settings.AUDITLOG_RETENTION_DAYS = 89
    errors = checks.check_retention()
    assert [e.id for e in errors] == ["auditlog.E001"]
    settings.AUDITLOG_RETENTION_DAYS = 90
    assert checks.check_retention() == []


def test_retention_check_runs_with_django_checks(settings):
    from django.core.management import call_command as run
    from django.core.management.base import SystemCheckError

    settings.AUDITLOG_RETENTION_DAYS = 30
    with pytest.raises(SystemCheckError, match="auditlog.E001"):
        run("check")


# --- PostgreSQL: the database refuses changes ----------------------------------------

# The runtime role (CI) is refused by its missing privilege before the trigger runs.
REFUSED = "append-only|permission denied"


def test_postgres_refuses_update_of_a_log_row(postgres):
    _log(1)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AccessLog.objects.update(path="/forged")


def test_postgres_refuses_delete_of_a_log_row(postgres):
    _log(1)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AccessLog.objects.all().delete()
    assert AccessLog.objects.count() == 1


def test_postgres_refuses_update_of_node_events(postgres, alice):
    services.ingest_node_events([_node_event(alice)])
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        NodeEvent.objects.update(is_violation=True)


def test_postgres_purge_bypass_is_local_to_the_purge_transaction(postgres):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        _log(2)
    _log(1)
    assert services.purge_expired_logs()["access"] == 2
    # Outside the purge transaction the guard is back.
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AccessLog.objects.all().delete()


WRITER = """
import django, sys
django.setup()
from django.utils import timezone
from auditlog import chain
from auditlog.models import AccessLog
for _ in range(10):
    chain.append(AccessLog, [
        dict(occurred_at=timezone.now(), ip="192.0.2.1", method="GET",
             path="/p" + sys.argv[1], status=200, duration_ms=1)
        for _ in range(25)
    ])
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_writer_processes_keep_one_chain_on_postgres():
    """Four processes append at once; the advisory lock keeps one unbroken chain."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    if connection.vendor != "postgresql":
        from tests.conftest import skip_or_fail

        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onespace.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(n)], cwd=root, env=env)
        for n in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    assert AccessLog.objects.count() == 4 * 10 * 25
    assert list(chain.verify(AccessLog)) == []


INGESTER = """
import django, sys, uuid
django.setup()
from django.utils import timezone
from auditlog import services
# Writers 0 and 1 send the same batches, as do 2 and 3: retries arriving together.
pair = int(sys.argv[1]) // 2
for n in range(8):
    services.ingest_node_events([
        dict(event_id=uuid.uuid5(uuid.NAMESPACE_OID, f"{pair}-{n}-{i}"),
             occurred_at=timezone.now(), node_id="n1", customer_id=1, action="start",
             actor_type="system", actor_id="", source_ip=None, details={"i": i})
        for i in range(50)
    ])
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_ingestion_stores_each_event_once_in_one_chain_on_postgres():
    """Four processes ingest at once, two by two the same batches."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    if connection.vendor != "postgresql":
        from tests.conftest import skip_or_fail

        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onespace.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen([sys.executable, "-c", INGESTER, str(n)], cwd=root, env=env)
        for n in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    assert NodeEvent.objects.count() == 2 * 8 * 50
    assert list(chain.verify(NodeEvent)) == []


def test_awkward_text_round_trips_and_verifies(alice):
    event = _node_event(alice)
    event["node_id"] = "n\\t1\ttab\nnewline\\N"
    event["actor_id"] = "\\"
    event["details"] = {
        "path": "C:\\temp\\new",
        "note": "line1\nline2\ttab",
        "thai": "โหนด",
    }
    services.ingest_node_events([event])
    stored = NodeEvent.objects.get()
    assert stored.node_id == event["node_id"]
    assert stored.actor_id == "\\"
    assert stored.details == event["details"]
    assert list(chain.verify(NodeEvent)) == []


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 19, 0, 0, 7, tzinfo=ZoneInfo("Asia/Bangkok")),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    ],
)
def test_canonical_time_is_utc_with_microseconds(moment):
    # The fast path must give exactly the text older rows were hashed with.
    expected = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    assert chain._canonical(moment) == expected
    assert chain.row_hash(GENESIS, [moment]) == chain._hash_texts(GENESIS, [expected])


def test_a_batch_mixing_plain_and_awkward_rows_verifies(alice):
    events = [_node_event(alice) for _ in range(6)]
    events[2]["node_id"] = "tab\there"
    events[3]["details"] = {"path": "C:\\new", "ไทย": [True, None, 1.5]}
    events[4]["actor_id"] = "line\r\nbreak"
    result = services.ingest_node_events(events)
    assert len(result.created) == 6
    stored = {e.event_id: e for e in NodeEvent.objects.all()}
    for event in events:
        row = stored[event["event_id"]]
        assert (row.node_id, row.actor_id, row.details) == (
            event["node_id"],
            event["actor_id"],
            event["details"],
        )
    assert list(chain.verify(NodeEvent)) == []
    again = services.ingest_node_events([events[0], _node_event(alice)])
    assert (len(again.created), again.duplicates) == (1, [events[0]["event_id"]])
    assert list(chain.verify(NodeEvent)) == []
