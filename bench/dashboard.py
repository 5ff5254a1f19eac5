"""Staff dashboard queries at scale: 5 million rows per log table against 10 thousand.

    make bench BENCH_ARGS=dashboard

Fills auditlog_securityevent and auditlog_nodeevent on a PostgreSQL database of its own
(``BENCH_PG_URL``, default ``onespace_dashboard_bench``; generate_series, tables
emptied with TRUNCATE first) with BENCH_DASHBOARD_SMALL (10000) rows each, spread over
the past year (the retention), with 1000 customers and 2000 tickets; times each query
of ``onespace.dashboard.build`` for the 30- and 90-day views, then grows both tables to
BENCH_DASHBOARD_ROWS (5000000) rows each and times them again. Each query runs
BENCH_DASHBOARD_REPEAT (5) times after one untimed run; the median counts. Goal (issue
14): every query under 200 ms at 5 million rows; the ratio to 10 thousand rows shows
how much of that is the data.
"""

import os
import statistics
from typing import Any

from bench.auditlog_middleware import (
    django_script,
    ensure_database,
    env_int,
    migrate,
    settings_dir,
)

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/onespace_dashboard_bench"

FILL = """
import json
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from support.models import Ticket

start, stop, total = {start}, {stop}, {total}
User = get_user_model()
with connection.cursor() as cursor:
    if start == 0:
        cursor.execute("TRUNCATE auditlog_securityevent, auditlog_nodeevent, auditlog_dailycount")
        if not User.objects.filter(email="bench-1@example.com").exists():
            User.objects.bulk_create(
                User(email=f"bench-{{i}}@example.com", full_name="Bench",
                     email_verified_at=timezone.now(), is_staff=i > 990)
                for i in range(1, 1001)
            )
            customers = list(User.objects.filter(is_staff=False).values_list("pk", flat=True))
            Ticket.objects.bulk_create(
                Ticket(customer_id=customers[i % len(customers)],
                       kind=("problem", "enquiry", "billing", "privacy")[i % 4],
                       privacy_right="access" if i % 4 == 3 else "",
                       subject="bench", state=("open", "closed")[i % 2],
                       created_at=timezone.now() - timezone.timedelta(hours=i * 4))
                for i in range(2000)
            )
    low = User.objects.order_by("pk").values_list("pk", flat=True).first()
    # Rows spread evenly over the past year, newest last.
    cursor.execute(
        '''
        INSERT INTO auditlog_securityevent (occurred_at, action, user_id,
            attempted_email, ip, raw_ip, user_agent, subject_id, object_label,
            prev_hash, hash)
        SELECT now() - make_interval(secs => (%s - g) * (365 * 86400.0 / %s)),
               (ARRAY['sign_in','sign_in','sign_in','sign_in','sign_in','sign_in',
                      'sign_in','sign_in','sign_in_failed','sign_in_failed',
                      'locked_out','sign_out','sign_out','sign_out','sign_out',
                      'password_changed','personal_data_viewed','sign_out',
                      'sign_out','sign_out'])[g %% 20 + 1],
               %s + g %% 1000, '', '10.0.0.1', '', 'Mozilla/5.0', NULL, '',
               md5(g::text) || md5(g::text), md5((g + 1)::text) || md5((g + 1)::text)
        FROM generate_series(%s, %s - 1) AS g
        ''',
        [total, total, low, start, stop],
    )
    cursor.execute(
        '''
        INSERT INTO auditlog_nodeevent (event_id, occurred_at, received_at, node_id,
            customer_id, action, actor_type, actor_id, source_ip, details, grant_id,
            is_violation, prev_hash, hash)
        SELECT md5('n' || g)::uuid,
               now() - make_interval(secs => (%s - g) * (365 * 86400.0 / %s)),
               now(), 'node-' || (g %% 3000), %s + g %% 1000,
               (ARRAY['create','delete','start','stop','reboot','resize','rebuild',
                      'snapshot','restore','backup','network_change',
                      'console_access','disk_access'])[g %% 13 + 1],
               'customer', '', '10.0.0.2', '{{}}'::jsonb, NULL, g %% 5000 = 0,
               md5(g::text) || md5(g::text), md5((g + 1)::text) || md5((g + 1)::text)
        FROM generate_series(%s, %s - 1) AS g
        ''',
        [total, total, low, start, stop],
    )
print(json.dumps({{"rows": stop}}))
"""

# VACUUM cannot run in a transaction block: its own script, in autocommit.
VACUUM = """
import json
from django.db import connection
connection.ensure_connection()
connection.connection.autocommit = True
with connection.cursor() as cursor:
    for table in ("auditlog_securityevent", "auditlog_nodeevent", "auditlog_dailycount", "support_ticket"):
        cursor.execute(f"VACUUM (ANALYZE) {table}")
print(json.dumps({"ok": True}))
"""

MEASURE = """
import json, statistics, time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from onespace import dashboard

result = {}
for period in (30, 90):
    with CaptureQueriesContext(connection) as captured:
        dashboard.build(period)
    for index, query in enumerate(captured.captured_queries):
        sql = query["sql"]
        runs = []
        with connection.cursor() as cursor:
            cursor.execute(sql)  # untimed: plans and caches
            cursor.fetchall()
            for _ in range(__REPEAT__):
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                runs.append(time.perf_counter() - started)
        name = f"{period}d_q{index + 1}_" + sql.split(" FROM ", 1)[1].split()[0].strip('"')
        result[name] = {"seconds": statistics.median(runs), "sql": sql}
    runs = []
    for _ in range(__REPEAT__):
        started = time.perf_counter()
        dashboard.build(period)
        runs.append(time.perf_counter() - started)
    result[f"{period}d_build"] = {"seconds": statistics.median(runs), "sql": ""}
print(json.dumps(result))
"""


def run() -> dict:
    os.environ.setdefault("BENCH_PG_URL", DEFAULT_PG)
    ensure_database()
    directory = settings_dir()
    migrate(directory)
    small = env_int("BENCH_DASHBOARD_SMALL", 10_000)
    big = env_int("BENCH_DASHBOARD_ROWS", 5_000_000)
    repeat = env_int("BENCH_DASHBOARD_REPEAT", 5)
    chunk = 1_000_000
    measure = MEASURE.replace("__REPEAT__", str(repeat))

    django_script(directory, FILL.format(start=0, stop=small, total=small))
    django_script(directory, VACUUM)
    at_small = django_script(directory, measure)
    for start in range(0, big, chunk):
        django_script(
            directory, FILL.format(start=start, stop=min(start + chunk, big), total=big)
        )
    django_script(directory, VACUUM)
    at_big = django_script(directory, measure)

    report: dict[str, Any] = {"rows_small": small, "rows_big": big, "queries": {}}
    for name, timing in at_small.items():
        small_s = timing["seconds"]
        big_s = at_big[name]["seconds"]
        report["queries"][name] = {
            "small_ms": round(small_s * 1000, 1),
            "big_ms": round(big_s * 1000, 1),
            "big_vs_small": round(big_s / small_s, 1),
            "sql": at_big[name]["sql"],
        }
        print(
            f"   {name:34s} {small:>9,} rows {small_s * 1000:7.1f} ms   "
            f"{big:>9,} rows {big_s * 1000:7.1f} ms  (x{big_s / small_s:.1f})"
        )
    queries = [q for n, q in report["queries"].items() if not n.endswith("_build")]
    report["slowest_query_ms"] = max(q["big_ms"] for q in queries)
    report["median_query_ms"] = statistics.median(q["big_ms"] for q in queries)
    report["target_ms"] = 200
    report["meets_target"] = report["slowest_query_ms"] < 200
    print(
        f"   slowest query at {big:,} rows: {report['slowest_query_ms']} ms "
        f"(goal < 200 ms)"
    )
    return report
