"""Access-log middleware: page throughput with it on against off, under gunicorn on PostgreSQL.

    make bench BENCH_ARGS=auditlog_middleware

Gunicorn (gthread workers, keep-alive, persistent database connections) serves a
signed-in customer page (/activity/) and a trivial page (/healthz, logged here) from a
PostgreSQL database of its own; load comes from separate client processes on loopback
(threads with keep-alive http.client connections). Rounds alternate on/off so drift
hits both. Knobs (environment): BENCH_PG_URL, BENCH_WORKERS (4), BENCH_THREADS (2),
BENCH_SECONDS (10), BENCH_CLIENTS (2 processes), BENCH_CLIENT_THREADS (8), BENCH_ROUNDS (3).
Targets from issue 5: signed-in page >= 0.90 of the throughput without the middleware,
trivial page >= 0.80.
"""

import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/onespace_auditlog_bench"

SETTINGS = textwrap.dedent(
    """
    import os
    from onespace.settings import *  # noqa: F403

    if os.environ.get("BENCH_ACCESS_LOG") == "off":
        MIDDLEWARE = [m for m in MIDDLEWARE if m != "auditlog.middleware.AccessLogMiddleware"]
    # The trivial page of the benchmark is the health check: log it too.
    AUDITLOG_SKIP_PATHS = ["/static/"]
    POLICY_GATE_OPEN_VIEWS = ["auditlog:node-event-list"]
    DEBUG = False
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
    # Throughput with the rate-limit counters counted, but never refused.
    RATE_LIMITS = {name: "1000000/m" for name in RATE_LIMITS}
    """
)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def pg_url() -> str:
    return os.environ.get("BENCH_PG_URL", DEFAULT_PG)


def settings_dir() -> Path:
    """A temporary directory holding the benchmark's settings module."""
    directory = Path(tempfile.mkdtemp(prefix="auditlog-bench-"))
    (directory / "auditlog_bench_settings.py").write_text(SETTINGS)
    return directory


def bench_env(directory: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=pg_url(),
        DJANGO_SETTINGS_MODULE="auditlog_bench_settings",
        PYTHONPATH=f"{directory}{os.pathsep}{ROOT}",
        **extra,
    )
    return env


def ensure_database() -> None:
    """Create the benchmark database if it is missing, then migrate it."""
    from urllib.parse import urlsplit

    import psycopg2

    parts = urlsplit(pg_url())
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password or None, dbname="postgres",
    )  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def django_script(directory: Path, code: str, **extra: str) -> Any:
    """Run ``code`` in a Django process on the benchmark database; it prints one JSON line."""
    wrapper = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", wrapper], cwd=ROOT, env=bench_env(directory, **extra),
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"benchmark step failed:\n{result.stderr[-3000:]}")
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def migrate(directory: Path) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT,
        env=bench_env(directory), check=True, capture_output=True,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """A gunicorn master with gthread workers on a free loopback port."""

    def __init__(self, directory: Path, **extra: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "onespace.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(env_int("BENCH_WORKERS", 4)),
                "--worker-class", "gthread", "--threads", str(env_int("BENCH_THREADS", 2)),
                "--keep-alive", "30", "--log-level", "warning",
            ],
            cwd=ROOT, env=bench_env(directory, **extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _client_process(
    port: int, path: str, cookie: str, threads: int, seconds: float, queue: Any
) -> None:
    counts = [0] * threads
    errors = [0] * threads
    stop_at = time.monotonic() + seconds
    headers = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"
    }
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((sum(counts), sum(errors)))


def load(
    port: int, path: str, cookie: str = "", seconds: float | None = None
) -> dict[str, float]:
    """Requests per second that separate client processes get from ``path``."""
    seconds = seconds or float(env_int("BENCH_SECONDS", 10))
    processes = env_int("BENCH_CLIENTS", 2)
    threads = env_int("BENCH_CLIENT_THREADS", 8)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    clients = [
        context.Process(
            target=_client_process, args=(port, path, cookie, threads, seconds, queue)
        )
        for _ in range(processes)
    ]
    for client in clients:
        client.start()
    results = [queue.get() for _ in clients]
    for client in clients:
        client.join()
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    return {"rps": ok / seconds, "errors": errors}


SETUP = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
import uuid
from auditlog import services
User = get_user_model()
user, _ = User.objects.get_or_create(
    email="bench-customer@example.com",
    defaults={"full_name": "Bench Customer", "email_verified_at": timezone.now()},
)
user.set_password("bench password 123"); user.save()
if not services.customer_nodes(user):
    services.ingest_node_events([
        {"event_id": uuid.uuid4(), "occurred_at": timezone.now(), "node_id": f"bench-{i % 5}",
         "customer_id": user.pk, "action": "start", "actor_type": "customer",
         "actor_id": str(user.pk), "source_ip": "192.0.2.1", "details": {}}
        for i in range(60)
    ])
client = Client()
client.force_login(user)
print(json.dumps({"cookie": client.cookies["sessionid"].value, "user": user.pk}))
"""


def run() -> dict:
    ensure_database()
    directory = settings_dir()
    migrate(directory)
    session = django_script(directory, SETUP)
    pages = {
        "signed_in": ("/activity/", session["cookie"]),
        "trivial": ("/healthz", ""),
    }
    rounds = env_int("BENCH_ROUNDS", 3)
    rates: dict[str, dict[str, list[float]]] = {
        page: {"on": [], "off": []} for page in pages
    }
    for _round in range(rounds):
        for mode in ("on", "off"):
            server = Gunicorn(directory, BENCH_ACCESS_LOG=mode)
            try:
                for page, (path, cookie) in pages.items():
                    load(server.port, path, cookie, seconds=2)  # warm up
                    result = load(server.port, path, cookie)
                    rates[page][mode].append(result["rps"])
                    if result["errors"]:
                        print(f"   {page} {mode}: {result['errors']} non-200 answers")
            finally:
                server.stop()
    report: dict[str, Any] = {"workers": env_int("BENCH_WORKERS", 4), "rounds": rounds}
    for page in pages:
        on = statistics.median(rates[page]["on"])
        off = statistics.median(rates[page]["off"])
        report[page] = {
            "rps_on": round(on, 1),
            "rps_off": round(off, 1),
            "ratio": round(on / off, 3),
        }
        print(
            f"   {page:10s} on {on:8.1f} req/s   off {off:8.1f} req/s   ratio {on / off:.3f}"
        )
    report["targets"] = {"signed_in": 0.90, "trivial": 0.80}
    return report
