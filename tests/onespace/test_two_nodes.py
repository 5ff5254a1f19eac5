"""Two gunicorn nodes behind nginx (deploy/nginx/onespace.conf) and one PostgreSQL.

Under load through the proxy both nodes write into one access-log chain that
``verify_auditlog`` proves, a SIGTERM to one node loses no record, and sessions and rate
limits hold whichever node answers. Real processes: nginx from Debian (`.ci/run`
installs it), gunicorn, PostgreSQL; skipped locally without them, failing in CI.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REQUESTS_PER_THREAD = 40
THREADS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if not os.path.exists(NGINX):
        skip_or_fail("needs nginx (apt-get install nginx-light)")
    return url


@pytest.fixture(scope="module")
def database():
    """A database of its own, migrated by the owner role, dropped afterwards."""
    url = _postgres_url()
    parts = urllib.parse.urlsplit(url)
    name = os.environ.get("TWO_NODES_DATABASE", f"{parts.path.lstrip('/')}_two_nodes")
    admin = psycopg2.connect(url.replace(parts.path, "/postgres", 1))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    node_url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    env = _env(node_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    yield node_url
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    env.pop("DATABASE_OWNER_URL", None)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="onespace.settings",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_DEBUG="1",
        TRUSTED_PROXIES="127.0.0.1",
        AUDITLOG_FLUSH_INTERVAL_MS="500",
        RATE_LIMIT_PASSWORD_RESET="3/h",
    )
    return env


def _wait_until_up(port: int, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"process on {port} exited: {process.stderr.read().decode()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"nothing answered on {port}")


@pytest.fixture(scope="module")
def cluster(database, tmp_path_factory):
    """Two gunicorn nodes and nginx rendered from deploy/nginx/onespace.conf."""
    tmp = tmp_path_factory.mktemp("two_nodes")
    env = _env(database)
    ports = [_free_port(), _free_port()]
    nodes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "onespace.wsgi",
                "-c",
                "python:onespace.gunicorn",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    processes = list(nodes)
    try:
        yield from _with_proxy(tmp, env, ports, nodes, processes)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _with_proxy(tmp, env, ports, nodes, processes):
    for port, node in zip(ports, nodes, strict=True):
        _wait_until_up(port, node)
    proxy_port = _free_port()
    site = (ROOT / "deploy/nginx/onespace.conf").read_text()
    for placeholder, value in {
        "@NODE_1@": f"127.0.0.1:{ports[0]}",
        "@NODE_2@": f"127.0.0.1:{ports[1]}",
        "@LISTEN@": f"127.0.0.1:{proxy_port}",
        "@SERVER_NAME@": "localhost",
        "@STATIC_ROOT@": str(ROOT / "static"),
    }.items():
        site = site.replace(placeholder, value)
    assert "@" not in re.sub(r"#.*", "", site)
    (tmp / "site.conf").write_text(site)
    (tmp / "nginx.conf").write_text(
        f"""daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$upstream_addr $status';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""
    )
    proxy = subprocess.Popen(
        [NGINX, "-c", str(tmp / "nginx.conf"), "-p", str(tmp)],
        stderr=subprocess.PIPE,
    )
    processes.insert(0, proxy)
    _wait_until_up(proxy_port, proxy)
    yield {"proxy": proxy_port, "nodes": nodes, "ports": ports, "tmp": tmp, "env": env}


def _count_access_rows(database_url: str, marker: str) -> int:
    with psycopg2.connect(database_url) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM auditlog_accesslog WHERE user_agent = %s", [marker]
        )
        return cursor.fetchone()[0]


def test_two_nodes_write_one_chain_and_a_sigterm_loses_nothing(cluster, database):
    marker = "two-nodes-load"
    errors: list[str] = []
    sent = [0] * THREADS

    def load(number: int) -> None:
        connection = http.client.HTTPConnection(
            "127.0.0.1", cluster["proxy"], timeout=30
        )
        for request in range(REQUESTS_PER_THREAD):
            connection.request(
                "GET",
                f"/privacy/?t={number}&r={request}",
                headers={"User-Agent": marker},
            )
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(str(response.status))
            sent[number] += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    cluster["nodes"][0].send_signal(signal.SIGTERM)  # a clean stop under load
    for thread in threads:
        thread.join()
    assert cluster["nodes"][0].wait(timeout=30) == 0
    assert errors == []
    upstreams = (cluster["tmp"] / "access.log").read_text().split()
    assert f"127.0.0.1:{cluster['ports'][0]}" in upstreams
    assert f"127.0.0.1:{cluster['ports'][1]}" in upstreams
    # The surviving node flushes within its interval; the stopped one flushed at exit.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _count_access_rows(database, marker) == sum(sent):
            break
        time.sleep(0.5)
    assert (
        _count_access_rows(database, marker)
        == sum(sent)
        == THREADS * REQUESTS_PER_THREAD
    )
    verified = subprocess.run(
        [sys.executable, "manage.py", "verify_auditlog", "access"],
        cwd=ROOT,
        env=cluster["env"],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
