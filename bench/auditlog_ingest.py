"""Node-event ingestion: the API with batches of 1000, beside PostgreSQL's COPY and one by one.

    make bench BENCH_ARGS=auditlog_ingest

The same generated events go (1) through POST /api/v1/node-events/ in batches of 1000,
from BENCH_INGEST_CLIENTS concurrent clients, to gunicorn on a PostgreSQL database;
(2) straight into a copy of the table with COPY FROM STDIN on one connection; and
(3) through the API one event per request (a smaller sample). Both tables start empty,
and afterwards every event must be stored once in an intact chain. Knobs (environment):
BENCH_PG_URL, BENCH_INGEST_EVENTS (100000), BENCH_INGEST_SINGLE (2000),
BENCH_INGEST_CLIENTS (2), BENCH_WORKERS (4).
Targets from issue 5: API >= 0.4 of COPY's rate and >= 10 times one-by-one.
"""

import http.client
import io
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bench.auditlog_middleware import (
    Gunicorn,
    django_script,
    ensure_database,
    env_int,
    migrate,
    pg_url,
    settings_dir,
)

SETUP = """
import json
from django.db import connection
from django.contrib.auth import get_user_model
from django.utils import timezone
from accounts.models import ServiceToken
User = get_user_model()
user, _ = User.objects.get_or_create(
    email="bench-ingest@example.com",
    defaults={"full_name": "Bench Ingest", "email_verified_at": timezone.now()},
)
_token, raw = ServiceToken.issue(name="bench", scopes=["node-events"])
# COPY's table starts empty: so does the API's, or every earlier run would slow it down
# (a bigger unique index on event_id). TRUNCATE is the bench database's only way out
# of the append-only table; the chain starts again from its anchor.
with connection.cursor() as cursor:
    cursor.execute("TRUNCATE auditlog_nodeevent")
print(json.dumps({"token": raw, "customer": user.pk}))
"""

CHECK = """
import json
from auditlog import chain
from auditlog.models import NodeEvent
problems = sum(1 for _ in chain.verify(NodeEvent))
print(json.dumps({"rows": NodeEvent.objects.count(), "problems": problems}))
"""


def make_events(count: int, customer: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    actions = ["create", "start", "stop", "reboot", "resize", "snapshot"]
    return [
        {
            "event_id": str(uuid.uuid4()),
            "occurred_at": now,
            "node_id": f"node-{i % 500}",
            "customer": customer,
            "action": actions[i % len(actions)],
            "actor": {"type": "customer", "id": str(customer)},
            "source_ip": f"203.0.113.{i % 250 + 1}",
            "details": {"region": "bkk1", "plan": "s-2vcpu"},
        }
        for i in range(count)
    ]


def post_batches(
    port: int, token: str, batches: list[list[dict]], clients: int
) -> float:
    """Seconds taken by ``clients`` threads to post every batch."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # Bodies are encoded before the clock starts, as COPY's input is: the client's own
    # JSON work is not the server's ingestion.
    queue = [json.dumps(batch) for batch in reversed(batches)]
    lock = threading.Lock()
    failures: list[int] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            conn.request("POST", "/api/v1/node-events/", body, headers)
            response = conn.getresponse()
            response.read()
            if response.status not in (200, 201):
                failures.append(response.status)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} batches refused: {failures[:5]}")
    return elapsed


WARM_UP_CONNECTIONS = 4 * env_int("BENCH_WORKERS", 4)
WARM_UP_EVENTS = WARM_UP_CONNECTIONS * 100


def warm_up(port: int, token: str, customer: int) -> None:
    """A batch on each of several fresh connections, so that every worker has served one.

    A keep-alive connection stays with the worker that accepted it; a worker's first
    request (imports, connection) costs a tenth of a second that is not ingestion.
    """
    for _ in range(WARM_UP_CONNECTIONS):
        post_batches(port, token, [make_events(100, customer)], 1)


def copy_rate(events: list[dict[str, Any]]) -> float:
    """Events per second that COPY FROM STDIN writes into a copy of the node-event table."""
    import psycopg2

    parts = urlsplit(pg_url())
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password or None, dbname=parts.path.lstrip("/"),
    )  # fmt: skip
    buffer = io.StringIO()
    received = datetime.now(UTC).isoformat()
    for i, e in enumerate(events):
        row = [
            e["event_id"], e["occurred_at"], received, e["node_id"], str(e["customer"]),
            e["action"], e["actor"]["type"], e["actor"]["id"], e["source_ip"],
            json.dumps(e["details"]), "\\N", "f", "0" * 64, f"{i:064x}",
        ]  # fmt: skip
        buffer.write("\t".join(row) + "\n")
    columns = (
        "event_id, occurred_at, received_at, node_id, customer_id, action, actor_type, "
        "actor_id, source_ip, details, grant_id, is_violation, prev_hash, hash"
    )
    with conn, conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_nodeevent_copy")
        # Same columns, defaults and indexes as the real table.
        cursor.execute(
            "CREATE TABLE bench_nodeevent_copy (LIKE auditlog_nodeevent INCLUDING ALL)"
        )
    started = time.perf_counter()
    with conn, conn.cursor() as cursor:
        buffer.seek(0)
        cursor.copy_expert(f"COPY bench_nodeevent_copy ({columns}) FROM STDIN", buffer)
    elapsed = time.perf_counter() - started
    with conn, conn.cursor() as cursor:
        cursor.execute("DROP TABLE bench_nodeevent_copy")
    conn.close()
    return len(events) / elapsed


def run() -> dict:
    ensure_database()
    directory = settings_dir()
    migrate(directory)
    setup = django_script(directory, SETUP)
    total = env_int("BENCH_INGEST_EVENTS", 100_000)
    single = env_int("BENCH_INGEST_SINGLE", 2000)
    clients = env_int("BENCH_INGEST_CLIENTS", 2)
    events = make_events(total, setup["customer"])
    batches = [events[i : i + 1000] for i in range(0, total, 1000)]

    copy = copy_rate(events)
    server = Gunicorn(directory)
    try:
        warm_up(server.port, setup["token"], setup["customer"])
        api = total / post_batches(server.port, setup["token"], batches, clients)
        ones = make_events(single, setup["customer"])
        one_by_one = single / post_batches(
            server.port, setup["token"], [[e] for e in ones], clients
        )
    finally:
        server.stop()
    # Every event stored once, and the chain intact: the API did the whole job.
    check = django_script(directory, CHECK)
    expected = WARM_UP_EVENTS + total + single
    if check != {"rows": expected, "problems": 0}:
        raise RuntimeError(f"expected {expected} chained rows, found {check}")
    report = {
        "events": total,
        "api_events_per_s": round(api),
        "copy_events_per_s": round(copy),
        "one_by_one_events_per_s": round(one_by_one),
        "api_vs_copy": round(api / copy, 3),
        "api_vs_one_by_one": round(api / one_by_one, 1),
        "targets": {"api_vs_copy": 0.4, "api_vs_one_by_one": 10},
    }
    print(
        f"   API {api:,.0f} ev/s   COPY {copy:,.0f} ev/s   one-by-one {one_by_one:,.0f} ev/s"
        f"   API/COPY {api / copy:.3f}   API/one-by-one {api / one_by_one:.1f}"
    )
    return report
