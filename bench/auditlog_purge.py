"""Retention purge of one month: partition drop against row delete, time and WAL bytes.

    make bench BENCH_ARGS=auditlog_purge
    BENCH_PURGE_ROWS=5000000 make bench BENCH_ARGS=auditlog_purge   # the issue's size

On a PostgreSQL database of its own (BENCH_PURGE_URL, default
postgres://postgres@127.0.0.1:5432/onespace_purge_bench, dropped and made again), the
access log is created as before issue 15 (migrations up to auditlog 0004), filled with
BENCH_PURGE_ROWS (500000) chained rows over BENCH_PURGE_MONTHS (5) months, the oldest of
which is past the retention, then migrated and converted with ``manage.py partition_logs``
(timed), which keeps the old table as ``auditlog_accesslog_unpartitioned``. Each round
then purges the expired month both ways, in an order that alternates:

* drop: ``SELECT auditlog_purge('auditlog_accesslog')``, the function the daily purge
  calls (it detaches and drops the month's partition and leaves the checkpoint);
* delete: what ``auditlog_purge`` did before issue 15, on the unpartitioned copy: find the
  expired prefix, ``DELETE`` its rows (the append-only trigger fires for each).

Each runs after a CHECKPOINT, in a transaction that is rolled back so every round sees
the same table; WAL bytes are the insert position's advance (pg_current_wal_insert_lsn).
At the end both purges run once more and commit (timed with the commit), and the rows
left are checked: count, the chain's links in SQL (each prev_hash is the hash before it,
the first one the checkpoint's), and ``verify_auditlog`` (every hash, with
BENCH_PURGE_VERIFY=1, by default only up to 1000000 rows). Goal (issue 15): the drop
takes at most 1 s and is at least 100 times faster than the delete. BENCH_PURGE_ROUNDS (3).
"""

import json
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bench.auditlog_middleware import ROOT, env_int

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/onespace_purge_bench"
TABLE = "auditlog_accesslog"
OLD = "auditlog_accesslog_unpartitioned"

SEED = """
import json, os
from datetime import datetime
from auditlog import chain
from auditlog.models import AccessLog

total = 0
for start, end, count in json.loads(os.environ["BENCH_WINDOWS"]):
    start, end = datetime.fromisoformat(start), datetime.fromisoformat(end)
    step = (end - start) / count
    for first in range(0, count, 20000):
        chain.append(AccessLog, [
            {
                "occurred_at": start + step * i,
                "user_id": i % 1000 + 1,
                "ip": f"10.{i // 65536 % 256}.{i // 256 % 256}.1",
                "browser_family": "Chrome", "browser_version": "120.0",
                "os_family": "Linux", "user_agent": "Mozilla/5.0 Chrome/120.0",
                "method": "POST" if i % 10 == 0 else "GET",
                "path": f"/activity/{i % 50}", "status": 200, "duration_ms": i % 300,
            }
            for i in range(first, min(count, first + 20000))
        ])
        total += min(count, first + 20000) - first
print(json.dumps({"rows": total}))
"""

DELETE_AS_BEFORE = [
    # auditlog_purge() of migration 0004, step by step, on the unpartitioned copy.
    f"SELECT id FROM {OLD} WHERE occurred_at >= now() - make_interval(days => %(days)s) "
    "ORDER BY id LIMIT 1",
    f"SELECT id, hash FROM {OLD} WHERE id < %(keep_from)s ORDER BY id DESC LIMIT 1",
    "SELECT set_config('onespace.purge', 'on', true)",
    f"DELETE FROM {OLD} WHERE id <= %(last_id)s",
]


def url() -> str:
    return os.environ.get("BENCH_PURGE_URL", DEFAULT_URL)


def connect(database: str | None = None) -> Any:
    import psycopg2

    parts = urlsplit(url())
    return psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password or None, dbname=database or parts.path.lstrip("/"),
    )  # fmt: skip


def env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url(),
        "DJANGO_SETTINGS_MODULE": "onespace.settings",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def manage(*args: str, **extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env(**extra),
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"
        )
    return result.stdout


def seed(windows: list[tuple[str, str, int]], **extra: str) -> int:
    code = "import django\ndjango.setup()\n" + SEED
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT,
        env=env(BENCH_WINDOWS=json.dumps(windows), **extra),
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"seeding failed:\n{result.stderr[-3000:]}")
    return int(json.loads(result.stdout.strip().splitlines()[-1])["rows"])


def month_start(day: datetime, offset: int) -> datetime:
    index = day.year * 12 + day.month - 1 + offset
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def plan(rows: int, months: int) -> tuple[int, list[tuple[str, str, int]]]:
    """The retention in days and (start, end, rows) per month, the oldest past retention.

    The cutoff (now - days) falls on the second day of the second month, whose rows start
    on its third day: exactly the oldest month is expired, whole.
    """
    now = datetime.now(UTC)
    first = month_start(now, -13)
    starts = [month_start(first, m) for m in range(months + 1)]
    days = math.floor((now - starts[1]) / timedelta(days=1)) - 1
    per_month = rows // months
    windows = []
    for m in range(months):
        start = starts[m] + (timedelta(days=2, hours=1) if m == 1 else timedelta(0))
        count = per_month if m else rows - per_month * (months - 1)
        windows.append((start.isoformat(), starts[m + 1].isoformat(), count))
    return days, windows


def measure(connection: Any, kind: str, days: int) -> tuple[float, int, int]:
    """One purge inside a transaction that is rolled back: seconds, WAL bytes, rows."""
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        connection.commit()
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        before = cursor.fetchone()[0]
        started = time.perf_counter()
        if kind == "drop":
            cursor.execute(f"SELECT auditlog_purge('{TABLE}')")
            count = cursor.fetchone()[0]
        else:
            count = delete_as_before(cursor, days)
        elapsed = time.perf_counter() - started
        cursor.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [before]
        )
        wal = int(cursor.fetchone()[0])
    connection.rollback()
    return elapsed, wal, int(count)


def delete_as_before(cursor: Any, days: int) -> int:
    cursor.execute(DELETE_AS_BEFORE[0], {"days": days})
    keep_from = cursor.fetchone()[0]
    cursor.execute(DELETE_AS_BEFORE[1], {"keep_from": keep_from})
    last_id, _hash = cursor.fetchone()
    cursor.execute(DELETE_AS_BEFORE[2])
    cursor.execute(DELETE_AS_BEFORE[3], {"last_id": last_id})
    return int(cursor.rowcount)


def stats(values: list[float]) -> dict[str, float]:
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
    }


def chain_links_broken(cursor: Any, table: str) -> int:
    cursor.execute(
        f"""
        SELECT count(*) FROM (
            SELECT prev_hash, lag(hash) OVER (ORDER BY id) AS before FROM {table}
        ) s WHERE before IS NOT NULL AND prev_hash <> before
        """
    )
    return int(cursor.fetchone()[0])


def run() -> dict:
    rows = env_int("BENCH_PURGE_ROWS", 500_000)
    months = env_int("BENCH_PURGE_MONTHS", 5)
    rounds = env_int("BENCH_PURGE_ROUNDS", 3)
    full_verify = os.environ.get(
        "BENCH_PURGE_VERIFY", "1" if rows <= 1_000_000 else "0"
    )
    days, windows = plan(rows, months)
    expired = windows[0][2]
    name = urlsplit(url()).path.lstrip("/")
    admin = connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    retention = {"AUDITLOG_RETENTION_DAYS": str(days)}
    load_before = os.getloadavg()

    # The access log as a deployment made before issue 15 has it, full.
    manage("migrate", "auditlog", "0004", "--noinput", **retention)
    started = time.perf_counter()
    seeded = seed(windows, **retention)
    seed_seconds = time.perf_counter() - started
    manage("migrate", "--noinput", **retention)
    started = time.perf_counter()
    manage("partition_logs", "access", "--batch-size", "50000", **retention)
    convert_seconds = time.perf_counter() - started

    connection = connect()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {TABLE}")
        cursor.execute(f"VACUUM ANALYZE {OLD}")
    connection.autocommit = False
    timings: dict[str, list[float]] = {"drop": [], "delete": []}
    wal: dict[str, list[float]] = {"drop": [], "delete": []}
    counts: set[int] = set()
    for round_ in range(rounds):
        order = ("drop", "delete") if round_ % 2 == 0 else ("delete", "drop")
        for kind in order:
            seconds, wal_bytes, count = measure(connection, kind, days)
            timings[kind].append(seconds)
            wal[kind].append(wal_bytes)
            counts.add(count)
            print(
                f"  round {round_ + 1} {kind:6}: {seconds:8.3f} s  {wal_bytes / 1e6:9.2f} MB WAL  {count} rows"
            )

    # Once more for real, commit included; then what is left must be whole.
    committed = {}
    with connection.cursor() as cursor:
        for kind in ("drop", "delete"):
            # After a checkpoint, as the measured rounds: the time of the function and
            # of the commit (where a drop unlinks the month's files) apart.
            cursor.execute("CHECKPOINT")
            connection.commit()
            started = time.perf_counter()
            if kind == "drop":
                cursor.execute(f"SELECT auditlog_purge('{TABLE}')")
            else:
                delete_as_before(cursor, days)
            purged = time.perf_counter()
            connection.commit()
            done = time.perf_counter()
            committed[kind] = done - started
            committed[f"{kind}_commit"] = done - purged
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        left = int(cursor.fetchone()[0])
        cursor.execute(f"SELECT count(*) FROM {OLD}")
        left_old = int(cursor.fetchone()[0])
        broken = chain_links_broken(cursor, TABLE)
        cursor.execute(
            f"SELECT (SELECT prev_hash FROM {TABLE} ORDER BY id LIMIT 1) = "
            '(SELECT last_hash FROM auditlog_purgecheckpoint WHERE "table" = %s '
            "ORDER BY last_id DESC LIMIT 1)",
            [TABLE],
        )
        anchored = bool(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM auditlog_partitions(%s)", [TABLE])
        partitions_left = int(cursor.fetchone()[0])
    connection.close()
    verified = None
    if full_verify == "1":
        out = manage("verify_auditlog", "access", **retention)
        verified = f"{TABLE}: chain intact" in out
    load_after = os.getloadavg()

    drop, delete = stats(timings["drop"]), stats(timings["delete"])
    result = {
        "rows": seeded,
        "expired_month_rows": expired,
        "retention_days": days,
        "rounds": rounds,
        "seed_seconds": seed_seconds,
        "partition_logs_seconds": convert_seconds,
        "partition_logs_rows_per_second": seeded / convert_seconds,
        "drop_seconds": drop,
        "delete_seconds": delete,
        "drop_wal_bytes": stats(wal["drop"]),
        "delete_wal_bytes": stats(wal["delete"]),
        "delete_over_drop": delete["median"] / drop["median"],
        "committed_seconds": committed,
        "purged_rows_each_round": sorted(counts),
        "rows_left": {"partitioned": left, "unpartitioned": left_old},
        "chain_links_broken": broken,
        "chain_starts_at_checkpoint": anchored,
        "verify_auditlog_intact": verified,
        "partitions_left": partitions_left,
        "load_average_before": load_before,
        "load_average_after": load_after,
    }
    ok = (
        counts == {expired}
        and left == left_old == seeded - expired
        and broken == 0
        and anchored
        and verified is not False
    )
    result["checks_passed"] = ok
    result["goal_met"] = drop["max"] <= 1.0 and result["delete_over_drop"] >= 100
    print(
        f"{seeded} rows, one month of {expired} past {days} days' retention, {rounds} rounds "
        f"(load {load_before[0]:.2f} -> {load_after[0]:.2f})\n"
        f"  partition_logs: {convert_seconds:.1f} s ({seeded / convert_seconds:,.0f} rows/s)\n"
        f"  {'':8}{'min s':>9}{'median s':>10}{'max s':>9}{'WAL MB (median)':>17}\n"
        f"  {'drop':8}{drop['min']:9.3f}{drop['median']:10.3f}{drop['max']:9.3f}"
        f"{statistics.median(wal['drop']) / 1e6:17.3f}\n"
        f"  {'delete':8}{delete['min']:9.3f}{delete['median']:10.3f}{delete['max']:9.3f}"
        f"{statistics.median(wal['delete']) / 1e6:17.3f}\n"
        f"  delete / drop (median): {result['delete_over_drop']:.0f} x; committed: "
        f"drop {committed['drop']:.3f} s (commit {committed['drop_commit']:.3f} s), "
        f"delete {committed['delete']:.3f} s (commit {committed['delete_commit']:.3f} s)\n"
        f"  rows left {left} / {left_old}, broken links {broken}, chain starts at the "
        f"checkpoint: {anchored}, verify_auditlog: {verified}; checks "
        f"{'passed' if ok else 'FAILED'}; goal {'met' if result['goal_met'] else 'NOT met'}"
    )
    return result
