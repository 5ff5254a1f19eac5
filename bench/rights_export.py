"""Data export of one customer: the streamed ZIP beside a plain `.values()` JSON dump.

    make bench BENCH_ARGS=rights_export

Seeds one customer with BENCH_RIGHTS_ACCESS_ROWS access-log rows (100000) and a tenth as
many node events, in a throw-away SQLite database (or BENCH_RIGHTS_DATABASE_URL), then
runs each variant in its own process and reads its peak resident memory
(``ru_maxrss``) and time:

* ``export``: ``policy.export.write_export`` (every registry category, rows streamed
  into the ZIP), what the background task runs;
* ``values_dump``: ``json.dumps(list(qs.values()))`` of the same access-log and
  node-event rows, written to a file: the naive way.

Both run at the full size and at a tenth of it, so the report shows whether peak memory
grows with the number of rows (``growth_kib`` is peak minus the process's memory after
start-up). Issue 8 wants the export's memory flat.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

SEED = """
import uuid
from datetime import timedelta
from django.core.management import call_command
from django.utils import timezone
from accounts.models import User
from auditlog import chain
from auditlog.models import AccessLog, NodeEvent
call_command("migrate", verbosity=0)
user = User.objects.create_user(email="bench-export@example.com", password="x", full_name="Bench Export")
now = timezone.now()
access, events = int(sys.argv[1]), int(sys.argv[2])
agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
for start in range(0, access, 5000):
    chain.append(AccessLog, [
        {"occurred_at": now - timedelta(seconds=i), "user_id": user.pk, "ip": f"203.0.113.{i % 250 + 1}",
         "browser_family": "Chrome", "browser_version": "120", "os_family": "Linux",
         "user_agent": agent, "method": "GET", "path": f"/billing/documents/{i}/",
         "status": 200, "duration_ms": 12}
        for i in range(start, min(start + 5000, access))
    ])
for start in range(0, events, 5000):
    chain.append(NodeEvent, [
        {"event_id": uuid.uuid4(), "occurred_at": now, "received_at": now,
         "node_id": f"node-{i % 50}", "customer_id": user.pk, "action": "start",
         "actor_type": "customer", "actor_id": str(user.pk), "source_ip": "198.51.100.7",
         "details": {"plan": "s-2vcpu-4gb", "region": "bkk1"}, "grant_id": None,
         "is_violation": False}
        for i in range(start, min(start + 5000, events))
    ])
print(json.dumps({"user": user.pk}))
"""

MEASURE = """
import resource, time
from pathlib import Path
from accounts.models import User
user = User.objects.get(email="bench-export@example.com")
variant, out = sys.argv[1], Path(sys.argv[2])
import policy.export, auditlog.models  # imported before the baseline is read
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if variant == "export":
    counts = policy.export.write_export(user, out, language="th")
    rows = counts["auditlog-access-log"] + counts["auditlog-node-event"]
else:
    from auditlog.models import AccessLog, NodeEvent
    from django.core.serializers.json import DjangoJSONEncoder
    data = {
        "access": list(AccessLog.objects.filter(user=user).order_by("pk").values()),
        "node_events": list(NodeEvent.objects.filter(customer=user).order_by("pk").values()),
    }
    out.write_text(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))
    rows = len(data["access"]) + len(data["node_events"])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": peak, "growth_kib": peak - baseline,
                  "rows": rows, "bytes": out.stat().st_size}))
"""

PRELUDE = (
    "import json, os, sys\n"
    "import django\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'onespace.settings')\n"
    "django.setup()\n"
    "import logging; logging.disable(logging.WARNING)\n"
)


def _python(code: str, *args: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + code, *args],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _measure(access: int, events: int, directory: Path) -> dict[str, dict]:
    db = directory / f"bench-{access}.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("BENCH_RIGHTS_DATABASE_URL", f"sqlite:///{db}"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "AUDITLOG_FLUSH_INTERVAL_MS": "0",
    }
    _python(SEED, str(access), str(events), env=env)
    return {
        variant: _python(
            MEASURE, variant, str(directory / f"{variant}-{access}"), env=env
        )
        for variant in ("export", "values_dump")
    }


def run() -> dict:
    access = int(os.environ.get("BENCH_RIGHTS_ACCESS_ROWS", "100000"))
    events = int(os.environ.get("BENCH_RIGHTS_NODE_EVENTS", str(access // 10)))
    with tempfile.TemporaryDirectory() as directory:
        small = _measure(access // 10, events // 10, Path(directory))
        full = _measure(access, events, Path(directory))
    print(
        f"Data export of one customer: {access} access-log rows + {events} node events"
    )
    print(
        f"  {'variant':12} {'rows':>8} {'seconds':>8} {'peak MiB':>9} {'growth MiB':>11}"
    )
    for label, results in (("1/10 size", small), ("full size", full)):
        for variant, r in results.items():
            print(
                f"  {variant:12} {r['rows']:>8} {r['seconds']:>8.2f} "
                f"{r['peak_kib'] / 1024:>9.1f} {r['growth_kib'] / 1024:>11.1f}  ({label})"
            )
    result = {
        "access_rows": access,
        "node_events": events,
        "export_seconds": round(full["export"]["seconds"], 2),
        "values_dump_seconds": round(full["values_dump"]["seconds"], 2),
        "export_growth_mib": round(full["export"]["growth_kib"] / 1024, 1),
        "export_growth_mib_at_tenth": round(small["export"]["growth_kib"] / 1024, 1),
        "values_dump_growth_mib": round(full["values_dump"]["growth_kib"] / 1024, 1),
        "values_dump_growth_mib_at_tenth": round(
            small["values_dump"]["growth_kib"] / 1024, 1
        ),
    }
    for key, value in result.items():
        print(f"  {key:34} {value}")
    return result


if __name__ == "__main__":
    run()
