"""Two gunicorn nodes behind nginx (deploy/nginx/onespace.conf) against one node and COPY.

    make bench BENCH_ARGS=two_nodes

Two measurements on one PostgreSQL database (BENCH_PG_URL, default
``postgres://postgres@127.0.0.1:5432/onespace_two_nodes_bench``), each over
BENCH_ROUNDS (3) interleaved rounds, reporting min/median/max and the load average:

* **ingestion**: node-event batches of 1000 posted by 4 parallel clients through nginx to
  two nodes, against COPY FROM STDIN over 4 connections into a copy of the table
  (BENCH_INGEST_EVENTS per round, 20000). Goal: ≥ 0.4 × COPY.
* **load**: BENCH_LOAD_CLIENTS (200) concurrent clients (threads in 4 processes) on a
  signed-in page (/activity/) for BENCH_SECONDS (60), through nginx to 2 nodes ×
  BENCH_NODE_WORKERS (3) gthread workers of BENCH_NODE_THREADS (4) threads (0: sync
  workers), against one node alone (same workers, no proxy). Goal: 0 errors,
  throughput ≥ 1.6 × one node; p50/p99 latency reported.

After the run the stored rows are checked: every posted event and every request once,
in chains that verify. Ports are free ones picked at start; BENCH_NGINX names nginx.
"""

import getpass
import http.client
import io
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The nodes' error output, for when a round fails.
LOG = Path(tempfile.gettempdir()) / "onespace-two-nodes-bench.log"
os.environ.setdefault(
    "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/onespace_two_nodes_bench"
)

from bench.auditlog_ingest import SETUP as INGEST_SETUP  # noqa: E402
from bench.auditlog_ingest import make_events, post_batches  # noqa: E402
from bench.auditlog_middleware import SETUP as LOAD_SETUP  # noqa: E402
from bench.auditlog_middleware import (  # noqa: E402
    bench_env,
    django_script,
    ensure_database,
    env_int,
    free_port,
    migrate,
    pg_url,
    settings_dir,
)

CHECK = """
import json
from auditlog import chain
from auditlog.models import AccessLog, NodeEvent
print(json.dumps({
    "node_rows": NodeEvent.objects.count(),
    "node_problems": sum(1 for _ in chain.verify(NodeEvent)),
    "activity_rows": AccessLog.objects.filter(path="/activity/").count(),
    "access_problems": sum(1 for _ in chain.verify(AccessLog)),
}))
"""


def worker_class() -> list[str]:
    """gthread workers with BENCH_NODE_THREADS (4) threads; 0 means gunicorn's sync
    workers (one request at a time, no keep-alive), as deploy/systemd runs them."""
    threads = env_int("BENCH_NODE_THREADS", 4)
    if not threads:
        return ["--worker-class", "sync"]
    return ["--worker-class", "gthread", "--threads", str(threads)]


class Node:
    """One gunicorn node (gthread workers) on a free port, trusting the local proxy."""

    def __init__(self, directory: Path, workers: int) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "onespace.wsgi:application",
                "-c", "python:onespace.gunicorn",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                *worker_class(),
                "--keep-alive", "30", "--log-level", "warning", "--backlog", "2048",
            ],
            cwd=ROOT, env=bench_env(directory, TRUSTED_PROXIES="127.0.0.1"),
            stdout=subprocess.DEVNULL, stderr=LOG.open("a"),
        )  # fmt: skip
        wait_until_up(self.port)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Proxy:
    """nginx with deploy/nginx/onespace.conf, its placeholders filled with our ports."""

    def __init__(self, nodes: list[Node]) -> None:
        nginx = (
            os.environ.get("BENCH_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
        )
        self.tmp = Path(tempfile.mkdtemp(prefix="two-nodes-nginx-"))
        # nginx's workers run as this user (not nobody) and keep large bodies here.
        self.port = free_port()
        site = (ROOT / "deploy/nginx/onespace.conf").read_text()
        for key, value in {
            "@NODE_1@": f"127.0.0.1:{nodes[0].port}",
            "@NODE_2@": f"127.0.0.1:{nodes[1].port}",
            "@LISTEN@": f"127.0.0.1:{self.port} backlog=2048",
            "@SERVER_NAME@": "localhost",
            "@STATIC_ROOT@": str(ROOT / "static"),
        }.items():
            site = site.replace(key, value)
        (self.tmp / "site.conf").write_text(site)
        temp = " ".join(
            f"{kind}_temp_path {self.tmp}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.tmp / "nginx.conf").write_text(
            f"daemon off; user {getpass.getuser()}; worker_processes 1;"
            f" pid {self.tmp}/nginx.pid;"
            f" error_log {self.tmp}/error.log; events {{ worker_connections 4096; }}"
            f" http {{ access_log off; {temp} include {self.tmp}/site.conf; }}"
        )
        self.process = subprocess.Popen(
            [nginx, "-c", str(self.tmp / "nginx.conf"), "-p", str(self.tmp)],
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(self.port)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)  # graceful
        self.process.wait(timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on {port}")


def copy_parallel(events: list[dict[str, Any]], connections: int) -> float:
    """Seconds for COPY FROM STDIN over ``connections`` connections at once."""
    import psycopg2

    columns = (
        "event_id, occurred_at, received_at, node_id, customer_id, action, actor_type, "
        "actor_id, source_ip, details, grant_id, is_violation, prev_hash, hash"
    )
    received = datetime.now(UTC).isoformat()
    chunks = []
    for part in range(connections):
        buffer = io.StringIO()
        for i, e in enumerate(events[part::connections]):
            row = [
                e["event_id"], e["occurred_at"], received, e["node_id"], str(e["customer"]),
                e["action"], e["actor"]["type"], e["actor"]["id"], e["source_ip"],
                json.dumps(e["details"]), "\\N", "f", "0" * 64, f"{part:02x}{i:062x}",
            ]  # fmt: skip
            buffer.write("\t".join(row) + "\n")
        chunks.append(buffer)
    setup = psycopg2.connect(pg_url())
    with setup, setup.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_nodeevent_copy")
        cursor.execute(
            "CREATE TABLE bench_nodeevent_copy (LIKE auditlog_nodeevent INCLUDING ALL)"
        )
    conns = [psycopg2.connect(pg_url()) for _ in range(connections)]

    def copy(conn: Any, buffer: io.StringIO) -> None:
        with conn, conn.cursor() as cursor:
            buffer.seek(0)
            cursor.copy_expert(
                f"COPY bench_nodeevent_copy ({columns}) FROM STDIN", buffer
            )

    threads = [
        threading.Thread(target=copy, args=pair)
        for pair in zip(conns, chunks, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with setup, setup.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_nodeevent_copy")
        stored = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_nodeevent_copy")
    for conn in [setup, *conns]:
        conn.close()
    if stored != len(events):
        raise RuntimeError(f"COPY stored {stored} of {len(events)}")
    return elapsed


def _client_process(
    port: int, cookie: str, threads: int, seconds: float, queue: Any
) -> None:
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    stop_at = time.monotonic() + seconds
    headers = {"User-Agent": "two-nodes-bench", "Cookie": f"sessionid={cookie}"}

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", "/activity/", headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    latencies[index].append(time.perf_counter() - started)
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put(([x for xs in latencies for x in xs], sum(errors)))


def load(port: int, cookie: str, seconds: float) -> dict[str, float]:
    clients = env_int("BENCH_LOAD_CLIENTS", 200)
    processes = 4
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [
        context.Process(
            target=_client_process,
            args=(port, cookie, clients // processes, seconds, queue),
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "rps": len(latencies) / seconds,
        "ok": len(latencies),
        "errors": errors,
        "p50_ms": pct(0.50) if latencies else 0.0,
        "p99_ms": pct(0.99) if latencies else 0.0,
    }


def spread(values: list[float], digits: int = 1) -> str:
    low, mid, high = (sorted(values)[i] for i in (0, len(values) // 2, -1))
    return f"{low:,.{digits}f} / {mid:,.{digits}f} / {high:,.{digits}f}"


def run() -> dict:
    ensure_database()
    directory = settings_dir()
    migrate(directory)
    rounds = env_int("BENCH_ROUNDS", 3)
    workers = env_int("BENCH_NODE_WORKERS", 3)
    seconds = float(env_int("BENCH_SECONDS", 60))
    per_round = env_int("BENCH_INGEST_EVENTS", 20000)
    ingest = django_script(directory, INGEST_SETUP)  # empties the node-event table
    session = django_script(directory, LOAD_SETUP)
    before = django_script(directory, CHECK)
    posted = requested = 0
    api_rates: list[float] = []
    copy_rates: list[float] = []
    ratios: list[float] = []
    two: list[dict[str, float]] = []
    one: list[dict[str, float]] = []
    for _round in range(rounds):
        # Ingestion: proxy + two nodes, then COPY over 4 connections.
        nodes = [Node(directory, workers), Node(directory, workers)]
        proxy = Proxy(nodes)
        try:
            warm = [make_events(100, ingest["customer"]) for _ in range(8)]
            post_batches(proxy.port, ingest["token"], warm, 4)
            events = make_events(per_round, ingest["customer"])
            batches = [events[i : i + 1000] for i in range(0, per_round, 1000)]
            api = per_round / post_batches(proxy.port, ingest["token"], batches, 4)
            posted += per_round + 800
            load(proxy.port, session["cookie"], 3)  # warm every worker
            two.append(load(proxy.port, session["cookie"], seconds))
            requested += two[-1]["ok"] + two[-1]["errors"]
        finally:
            proxy.stop()
            for node in nodes:
                node.stop()
        copy = per_round / copy_parallel(make_events(per_round, ingest["customer"]), 4)
        api_rates.append(api)
        copy_rates.append(copy)
        ratios.append(api / copy)
        # One node alone, no proxy.
        node = Node(directory, workers)
        try:
            load(node.port, session["cookie"], 3)
            one.append(load(node.port, session["cookie"], seconds))
            requested += one[-1]["ok"] + one[-1]["errors"]
        finally:
            node.stop()
    after = django_script(directory, CHECK)
    stored_events = after["node_rows"] - before["node_rows"]
    stored_requests = after["activity_rows"] - before["activity_rows"]
    load_avg = os.getloadavg()
    speedup = [t["rps"] / o["rps"] for t, o in zip(two, one, strict=True)]
    report = {
        "rounds": rounds,
        "loadavg": load_avg,
        "ingest": {
            "api_events_per_s": api_rates,
            "copy_events_per_s": copy_rates,
            "api_vs_copy": ratios,
            "target": 0.4,
        },
        "load": {
            "clients": env_int("BENCH_LOAD_CLIENTS", 200),
            "seconds": seconds,
            "two_nodes": two,
            "one_node": one,
            "speedup": speedup,
            "target": 1.6,
        },
        "stored": {
            "events_posted": posted,
            "events_stored": stored_events,
            "node_chain_problems": after["node_problems"],
            "requests_measured": requested,
            "activity_rows_stored": stored_requests,
            "access_chain_problems": after["access_problems"],
        },
    }
    print(f"   load average {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    print(f"   ingestion min/median/max: proxy+2 nodes {spread(api_rates)} ev/s")
    print(f"                             COPY × 4 conns {spread(copy_rates)} ev/s")
    print(f"                             ratio          {spread(ratios, 3)}")
    print(
        f"   load ({report['load']['clients']} clients, {seconds:.0f} s) min/median/max:"
    )
    print(f"     2 nodes req/s {spread([r['rps'] for r in two])}")
    print(f"     1 node  req/s {spread([r['rps'] for r in one])}")
    print(f"     speedup       {spread(speedup, 3)}")
    print(
        f"     2 nodes p50 {spread([r['p50_ms'] for r in two])} ms,"
        f" p99 {spread([r['p99_ms'] for r in two])} ms,"
        f" errors {sum(r['errors'] for r in two):.0f}"
    )
    print(
        f"     1 node  p50 {spread([r['p50_ms'] for r in one])} ms,"
        f" p99 {spread([r['p99_ms'] for r in one])} ms,"
        f" errors {sum(r['errors'] for r in one):.0f}"
    )
    print(
        f"   stored: {stored_events} of {posted} events, chain problems"
        f" {after['node_problems']}; {stored_requests} /activity/ rows for"
        f" {requested} measured requests (+ warm-ups), chain problems"
        f" {after['access_problems']}"
    )
    if stored_events != posted or after["node_problems"] or after["access_problems"]:
        raise RuntimeError(f"stored rows do not add up: {report['stored']}")
    if stored_requests < requested:
        raise RuntimeError(f"access-log rows lost: {report['stored']}")
    return report
