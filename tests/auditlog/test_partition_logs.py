"""manage.py partition_logs: an unpartitioned log table (made before issue 15) becomes
partitioned by month while rows keep arriving, with its ids, chain and guards intact."""

import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from auditlog import chain, partitions, services
from auditlog.models import AccessLog
from tests import conftest

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres"),
]
TABLE = "auditlog_accesslog"


@pytest.fixture
def owner_connection():
    """The command runs as the owner role (CI's tests run as the runtime role)."""
    if conftest.OWNER_URL:
        conftest._connect_as("owner")
        yield
        conftest._connect_as("runtime")
    else:
        yield


@pytest.fixture
def unpartitioned(owner_connection):
    """The access log as migrations 0001-0004 made it: one plain table, its triggers."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")
        with connection.schema_editor(atomic=False) as editor:
            editor.create_model(AccessLog)
        cursor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION auditlog_refuse_change();"
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION onespace_refuse_unless_owner()"
        )
    assert not partitions.is_partitioned(TABLE)
    yield
    partitions.drop_old(TABLE)


def _log(when: datetime, n: int, path: str) -> None:
    chain.append(
        AccessLog,
        [
            {
                "occurred_at": when + timedelta(seconds=i),
                "ip": "192.0.2.1",
                "method": "GET",
                "path": f"{path}{i}",
                "status": 200,
                "duration_ms": 1,
            }
            for i in range(n)
        ],
    )


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def test_partition_logs_copies_in_batches_while_rows_keep_arriving(unpartitioned):
    now = timezone.now()
    _log(now - timedelta(days=800), 2, "/ancient/")  # older than retention: default
    _log(now - timedelta(days=60), 7, "/old/")
    _log(now, 6, "/now/")
    django_indexes = _indexes(TABLE)
    before = list(AccessLog.objects.order_by("id").values_list("id", "hash"))
    arrived: list[int] = []

    def portal_writes(copied: int) -> None:
        # Between two batches the portal appends, as its flusher does every second.
        _log(timezone.now(), 1, f"/during-{copied}/")
        arrived.append(copied)

    copied = partitions.partition_table(TABLE, batch_size=4, progress=portal_writes)

    assert partitions.is_partitioned(TABLE)
    assert len(arrived) >= 4  # 15 rows and more in batches of 4
    rows = list(AccessLog.objects.order_by("id").values_list("id", "hash"))
    assert rows[: len(before)] == before
    assert len(rows) == len(before) + len(arrived)
    assert copied == len(rows)
    assert list(chain.verify(AccessLog)) == []
    # Same index names as Django made them; the primary key holds the month.
    assert _indexes(TABLE) == django_indexes
    names = [p.name for p in partitions.partitions(TABLE)]
    month = f"{(now - timedelta(days=60)).astimezone(UTC):%Y%m}"
    assert f"{TABLE}_p{month}" in names
    assert names[-1] == f"{TABLE}_default"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {TABLE}_default WHERE path LIKE '/ancient/%%'"
        )
        assert cursor.fetchone()[0] == 2
    # New rows get the next ids and extend the same chain; the guards hold.
    _log(timezone.now(), 2, "/after/")
    assert AccessLog.objects.order_by("-id").first().pk == rows[-1][0] + 2
    assert list(chain.verify(AccessLog)) == []
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=rows[0][0]).delete()
    assert services.purge_log(AccessLog, time_field="occurred_at") == 2
    assert list(chain.verify(AccessLog)) == []


def test_the_command_converts_reports_and_drops_the_old_table(unpartitioned):
    _log(timezone.now() - timedelta(days=800), 2, "/ancient/")
    _log(timezone.now(), 3, "/p/")
    # Until it is converted, the purge deletes the table's expired rows one by one.
    assert services.purge_log(AccessLog, time_field="occurred_at") == 2
    out = StringIO()
    call_command("partition_logs", "access", "--batch-size", "2", stdout=out)
    assert f"{TABLE}: partitioned by month (3 rows)" in out.getvalue()
    assert partitions.is_partitioned(TABLE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM auditlog_accesslog_unpartitioned")
        assert cursor.fetchone()[0] == 3
    out = StringIO()
    call_command("partition_logs", "access", "--drop-old", stdout=out)
    assert out.getvalue().splitlines() == [
        f"{TABLE}: partitioned",
        "auditlog_accesslog_unpartitioned: dropped",
    ]
    assert AccessLog.objects.count() == 3
    assert list(chain.verify(AccessLog)) == []


WRITER = """
import django, time
django.setup()
from django.utils import timezone
from auditlog import chain
from auditlog.models import AccessLog
for n in range(400):
    chain.append(AccessLog, [
        dict(occurred_at=timezone.now(), ip="192.0.2.9", method="GET",
             path=f"/writer/{n}/{i}", status=200, duration_ms=1)
        for i in range(2)
    ])
    time.sleep(0.01)
"""


def test_a_portal_process_writing_throughout_loses_nothing(unpartitioned):
    import os
    import subprocess
    import sys
    from pathlib import Path

    _log(timezone.now() - timedelta(days=40), 1000, "/before/")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onespace.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    root = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen([sys.executable, "-c", WRITER], cwd=root, env=env)
    try:
        written = AccessLog.objects.filter(path__startswith="/writer/")
        deadline = time.monotonic() + 60
        while not written.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        partitions.partition_table(TABLE, batch_size=100, pause=0.02)
        during = written.count()
        assert writer.wait(timeout=120) == 0
    finally:
        writer.kill()
    # The writer was at work before and after the swap, and every row it wrote is there.
    assert 0 < during < 800
    assert partitions.is_partitioned(TABLE)
    assert written.count() == 800
    assert AccessLog.objects.count() == 1800
    assert list(chain.verify(AccessLog)) == []
