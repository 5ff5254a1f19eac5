"""Two gunicorn nodes behind nginx (deploy/nginx/onespace.conf) and one PostgreSQL.

Under load through the proxy both nodes write into one access-log chain that
``verify_auditlog`` proves, a SIGTERM to one node loses no record, and sessions and rate
limits hold whichever node answers. Real processes: nginx from Debian (`.ci/run`
installs it), gunicorn, PostgreSQL; skipped locally without them, failing in CI.
"""

import getpass
import http.client
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REQUESTS_PER_THREAD = 40
METRICS_TOKEN = "two-nodes-scraper"
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
    """A database of its own, migrated by the owner role, used by the runtime role.

    With DATABASE_OWNER_URL (CI) the owner creates and migrates it and grants the
    runtime role of DATABASE_URL what production grants; the nodes, workers and checks
    then connect as that role, which owns nothing. Dropped afterwards.
    """
    owner_url = _postgres_url()
    runtime_url = os.environ.get("DATABASE_URL", owner_url)
    parts = urllib.parse.urlsplit(owner_url)
    name = os.environ.get("TWO_NODES_DATABASE", f"{parts.path.lstrip('/')}_two_nodes")
    # (Not str.replace: the database name can also start the role's name.)
    admin = psycopg2.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')

    def in_database(url: str) -> str:
        split = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit(split._replace(path=f"/{name}"))

    owner_env = _env(in_database(owner_url))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=owner_env,
        check=True,
        capture_output=True,
    )
    owner_role = parts.username or "postgres"
    runtime_role = urllib.parse.urlsplit(runtime_url).username or "postgres"
    if runtime_role != owner_role:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from django.db import connection\n"
                "from onespace import db_roles\n"
                f"db_roles.grant_runtime(connection, owner={owner_role!r}, "
                f"runtime={runtime_role!r})",
            ],
            cwd=ROOT,
            env=owner_env,
            check=True,
            capture_output=True,
        )
    yield in_database(runtime_url)
    with admin.cursor() as cursor:
        # No FORCE: the owner may not end the runtime role's sessions, and none is left
        # (nodes and workers are stopped, this module closes its connections).
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
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
        METRICS_TOKEN=METRICS_TOKEN,
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
    nodes = [_start_node(port, env, tmp) for port in ports]
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


def _start_node(port: int, env: dict[str, str], tmp: Path) -> subprocess.Popen:
    """gunicorn with 2 workers; metrics in multiprocess mode, in a fresh directory."""
    metrics = tmp / f"metrics-{port}-{time.monotonic_ns()}"
    metrics.mkdir()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "onespace.wsgi",
            "-c",
            "python:onespace.gunicorn",
            "--workers",
            "2",
            # As deploy/systemd/onespace-gunicorn.service runs them.
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "30",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


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
user {getpass.getuser()};
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$upstream_addr $status $request_method $uri';
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
    yield {
        "proxy": proxy_port,
        "nodes": nodes,
        "ports": ports,
        "tmp": tmp,
        "env": env,
        "processes": processes,
    }


def _count_access_rows(database_url: str, marker: str) -> int:
    with closing(psycopg2.connect(database_url)) as db, db.cursor() as cursor:
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
    assert _nodes_that_answered(cluster, "GET", "/privacy/") == set(cluster["ports"])
    # Metrics in multiprocess mode: one scrape of the surviving node counts what both
    # of its gunicorn workers answered (nginx's log says how many that was).
    survivor = cluster["ports"][1]
    assert _scrape_requests(survivor, "policy:notice") == _answered_by(
        cluster, survivor, "GET", "/privacy/"
    )
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


def _nodes_that_answered(cluster: dict, method: str, path: str) -> set[int]:
    """The node ports nginx sent ``method path`` to (from its access log)."""
    ports = set()
    for line in (cluster["tmp"] / "access.log").read_text().splitlines():
        upstream, _status, logged_method, uri = line.split()[-4:]
        if logged_method == method and uri == path:
            ports.update(int(u.rsplit(":", 1)[1]) for u in upstream.split(", "))
    return ports


def _answered_by(cluster: dict, port: int, method: str, path: str) -> int:
    """How many ``method path`` requests the node on ``port`` answered (nginx's log)."""
    answered = 0
    for line in (cluster["tmp"] / "access.log").read_text().splitlines():
        upstream, _status, logged_method, uri = line.split()[-4:]
        last = upstream.split(", ")[-1]
        if (logged_method, uri) == (method, path) and last == f"127.0.0.1:{port}":
            answered += 1
    return answered


def _scrape_requests(port: int, view: str) -> int:
    """onespace_requests_total of ``view`` (status 200) in one scrape of a node."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    response = connection.getresponse()
    text = response.read().decode()
    assert response.status == 200
    total = 0.0
    for line in text.splitlines():
        wanted = f'view="{view}"' in line and 'status="200"' in line
        if line.startswith("onespace_requests_total{") and wanted:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def _manage(cluster: dict, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=cluster["env"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


SETUP = """
from django.utils import timezone
from accounts.models import User
from accounts.tasks import send_verification_email
user = User.objects.create_user(
    email="carol@example.com", password="a long pass phrase 42",
    full_name="Carol Two-Nodes", phone="+66812345678",
)
User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
# The task carries an account id only: one account per email to count.
for number in range(TASKS):
    other = User.objects.create_user(
        email=f"verify-{number}@example.com", password="a long pass phrase 42",
        full_name=f"Verify {number}", phone="+66812345678",
    )
    send_verification_email.enqueue(other.pk)
print(user.pk)
"""
TASKS = 24


class _Browser:
    """A client with cookies that talks to the proxy only."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        status, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token[1]})
        request = urllib.request.Request(
            self.base + path, data=body.encode(), headers={"Referer": self.base + path}
        )
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_tasks_run_once_across_two_workers_and_sessions_and_limits_hold(cluster):
    # The first test stopped node 1: start it again on its port.
    port = cluster["ports"][0]
    restarted = _start_node(port, cluster["env"], cluster["tmp"])
    cluster["nodes"][0] = restarted
    cluster["processes"].append(restarted)  # stopped with the others
    _wait_until_up(port, restarted)
    (cluster["tmp"] / "access.log").write_text("")
    os.kill(int((cluster["tmp"] / "nginx.pid").read_text()), signal.SIGUSR1)  # reopen

    # Sessions: signed in through the proxy, every node knows the customer.
    _manage(cluster, SETUP.replace("TASKS", str(TASKS)))
    browser = _Browser(cluster["proxy"])
    status, _page = browser.post(
        "/accounts/login/",
        {"username": "carol@example.com", "password": "a long pass phrase 42"},
    )
    assert status == 200
    # nginx rests a node that failed (the first test stopped node 1) for its
    # fail_timeout (10 s, deploy/nginx): ask until both have answered, at most 30 s.
    deadline = time.monotonic() + 30
    while True:
        status, page = browser.get("/accounts/profile/")
        assert status == 200
        assert "carol@example.com" in page
        answered = _nodes_that_answered(cluster, "GET", "/accounts/profile/")
        if answered == set(cluster["ports"]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert answered == set(cluster["ports"])

    # Rate limits: RATE_LIMIT_PASSWORD_RESET=3/h counts across both nodes.
    anonymous = _Browser(cluster["proxy"])
    statuses = [
        anonymous.post("/accounts/password/reset/", {"email": "carol@example.com"})[0]
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert _nodes_that_answered(cluster, "POST", "/accounts/password/reset/") == set(
        cluster["ports"]
    )

    # Tasks: two db_worker processes share the queue; each task runs exactly once.
    outputs = [cluster["tmp"] / f"worker-{n}.out" for n in (1, 2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--worker-id", f"w{n}"],
            cwd=ROOT,
            env=cluster["env"],
            stdout=output.open("w"),
            stderr=subprocess.STDOUT,
        )
        for n, output in zip((1, 2), outputs, strict=True)
    ]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with (
                closing(psycopg2.connect(cluster["env"]["DATABASE_URL"])) as db,
                db.cursor() as cursor,
            ):
                cursor.execute(
                    "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                    "WHERE status IN ('READY', 'RUNNING')"
                )
                if cursor.fetchone()[0] == 0:
                    break
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    with (
        closing(psycopg2.connect(cluster["env"]["DATABASE_URL"])) as db,
        db.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'accounts.tasks.send_verification_email'"
        )
        results = cursor.fetchall()
    assert len(results) == TASKS
    assert {status for status, _ids in results} == {"SUCCESSFUL"}
    assert all(len(ids) == 1 for _status, ids in results)
    text = "".join(output.read_text() for output in outputs)
    for number in range(TASKS):
        assert text.count(f"To: verify-{number}@example.com") == 1, number
