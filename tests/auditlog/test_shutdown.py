"""No access-log record is lost when a real server process stops cleanly.

The flush interval is set to a minute, so every row counted here was written by the
shutdown flush (atexit in the gunicorn worker, or the SIGTERM handler under runserver).
"""

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("shutdown") / "portal.sqlite3"
    env = _env(path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return path


def _env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        DJANGO_SETTINGS_MODULE="onespace.settings",
        DJANGO_SECURE_SSL_REDIRECT="0",
        AUDITLOG_FLUSH_INTERVAL_MS="60000",
        # Static files are served unhashed (no collectstatic in a test).
        DJANGO_DEBUG="1",
    )
    return env


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            process.stderr.read().decode() if process.stderr else ""
        )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("server did not start")


def _hit(port: int, count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for number in range(count):
        connection.request(
            "GET", f"/privacy/?n={number}", headers={"User-Agent": "shutdown-test"}
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    connection.close()


def _rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT COUNT(*) FROM auditlog_accesslog WHERE user_agent = 'shutdown-test'"
        ).fetchone()[0]


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("server did not stop on SIGTERM")


def test_gunicorn_workers_flush_every_record_on_sigterm(migrated_db):
    before = _rows(migrated_db)
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "onespace.wsgi:application",
            "--workers", "2", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "20",
        ],
        cwd=ROOT, env=_env(migrated_db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_until_up(port, process)
        _hit(port, REQUESTS)
        assert _rows(migrated_db) == before  # still buffered: the interval is a minute
    finally:
        _stop(process)
    assert _rows(migrated_db) == before + REQUESTS
    # Two workers flushed into one table: the chain is still whole.
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_auditlog", "access"],
        cwd=ROOT, env=_env(migrated_db), capture_output=True, text=True,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "chain intact" in verify.stdout


def test_runserver_flushes_every_record_on_sigterm(migrated_db):
    before = _rows(migrated_db)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=_env(migrated_db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_until_up(port, process)
        _hit(port, REQUESTS)
    finally:
        _stop(process)
    assert _rows(migrated_db) == before + REQUESTS


def _postgres_env(database: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    user, host = database["USER"], database["HOST"] or "127.0.0.1"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    env.update(
        DATABASE_URL=(
            f"postgres://{user}{password}@{host}:{database['PORT'] or 5432}"
            f"/{database['NAME']}"
        ),
        DJANGO_SETTINGS_MODULE="onespace.settings",
        DJANGO_SECURE_SSL_REDIRECT="0",
        AUDITLOG_FLUSH_INTERVAL_MS="60000",
        DJANGO_DEBUG="1",
        # The test client's address is a proxy, so X-Forwarded-For names the client.
        TRUSTED_PROXIES="127.0.0.1/32",
    )
    return env


def _get(port: int, path: str, headers: dict[str, str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"User-Agent": "shutdown-test", **headers})
    connection.getresponse().read()
    connection.close()


def test_hostile_requests_lose_nothing_at_sigterm_on_postgres(transactional_db):
    """Issue 11: a NUL path and a zoned address used to block the worker's whole flush."""
    from django.db import connection

    from auditlog.models import AccessLog

    if connection.vendor != "postgresql":
        from tests.conftest import skip_or_fail

        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    env = _postgres_env(connection.settings_dict)
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "onespace.wsgi:application",
            "--workers", "1", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "20",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_until_up(port, process)
        _get(port, "/%00", {})
        _get(port, "/privacy/", {"X-Forwarded-For": "fe80::1%eth0"})
        _hit(port, 50)
        assert not AccessLog.objects.filter(user_agent="shutdown-test").exists()
    finally:
        _stop(process)
    rows = AccessLog.objects.filter(user_agent="shutdown-test")
    assert rows.count() == 52
    assert rows.filter(path="/\\x00").exists()
    assert rows.filter(ip="fe80::1", raw_ip="fe80::1%eth0").exists()
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_auditlog", "access"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
