"""Customer pages against a trivial page of the same layout, at one and at five years of history.

    make bench BENCH_ARGS=pages

One process on a PostgreSQL database of its own (BENCH_PAGES_PG_URL, default
``postgres://postgres@127.0.0.1:5432/onespace_pages_bench``, dropped and made again)
seeds one busy customer's first year of history, measures every customer page, adds four
older years, and measures again. Per page it reports the application's CPU time per
request (``time.process_time``: the database server's CPU is not in it), the median of
BENCH_PAGES_ROUNDS (3) interleaved rounds of BENCH_PAGES_REQUESTS (30) requests, its
ratio to a trivial page (``base.html`` with no content, signed in, same middleware),
the queries it made, and how the CPU at five years compares with one year. Goals
(issue 15): every page at most 3 × the trivial page's CPU, at most 10 queries, and flat
from one to five years.

A busy customer's year (BENCH_PAGES_SCALE multiplies it, default 1): 20,000 access-log
rows, 5,000 node events, 1,000 security events, 40 tickets, 24 tax documents, 20 access
grants, 12 data exports.
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/onespace_pages_bench"

SETTINGS = textwrap.dedent(
    """
    from onespace.settings import *  # noqa: F403

    ROOT_URLCONF = "pages_bench_urls"
    ALLOWED_HOSTS = ["*"]
    DEBUG = False
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
    AUDITLOG_FLUSH_INTERVAL_MS = 0  # no flusher thread counting in this process's CPU
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
    # Outside DEBUG the example seller may not issue tax documents (billing).
    BILLING_SELLER = {**BILLING_SELLER, "name": "Bench Seller Co., Ltd.", "tax_id": "0105558000014"}
    """
)

URLS = textwrap.dedent(
    """
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import render
    from django.urls import path

    from onespace.urls import urlpatterns as portal

    @login_required
    def trivial(request):
        return render(request, "base.html")

    urlpatterns = [path("bench-trivial/", trivial), *portal]
    """
)

SCRIPT = """
import datetime, json, os, statistics, sys, time, uuid
from decimal import Decimal

import django
django.setup()
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from auditlog import chain
from auditlog.models import AccessGrant, AccessLog, NodeEvent, SecurityEvent
from billing import services as billing
from billing.models import Document, VatRate
from policy.models import DataExport
from support import services as support
from support.models import Ticket

call_command("migrate", verbosity=0)
SCALE = float(os.environ.get("BENCH_PAGES_SCALE", "1"))
ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "3"))
REQUESTS = int(os.environ.get("BENCH_PAGES_REQUESTS", "30"))
now = timezone.now()
user = User.objects.create_user(email="busy@example.com", password="x", full_name="Busy Customer", phone="+66812345678")
User.objects.filter(pk=user.pk).update(email_verified_at=now, date_joined=now)
user.refresh_from_db()
VatRate.objects.get_or_create(valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal("7.00")})
from tests.factories import BillingProfileFactory
profile = BillingProfileFactory(customer=user)
agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def seed_year(year):
    start = now - datetime.timedelta(days=365 * year)
    def at(i, n):
        return start - datetime.timedelta(seconds=365 * 86400 * i / n)
    n = int(20000 * SCALE)
    for first in range(0, n, 5000):
        chain.append(AccessLog, [
            {"occurred_at": at(i, n), "user_id": user.pk, "ip": "203.0.113.9", "browser_family": "Chrome",
             "browser_version": "120", "os_family": "Linux", "user_agent": agent, "method": "GET",
             "path": f"/billing/documents/{i}/", "status": 200, "duration_ms": 12}
            for i in range(first, min(first + 5000, n))])
    n = int(5000 * SCALE)
    for first in range(0, n, 5000):
        chain.append(NodeEvent, [
            {"event_id": uuid.uuid4(), "occurred_at": at(i, n), "received_at": at(i, n),
             "node_id": f"node-{i % 20}", "customer_id": user.pk,
             "action": ["start", "stop", "reboot", "snapshot", "resize"][i % 5],
             "actor_type": ["customer", "system", "staff"][i % 3], "actor_id": "1",
             "source_ip": "198.51.100.7", "details": {"plan": "s-2vcpu"}, "grant_id": None,
             "is_violation": False}
            for i in range(first, min(first + 5000, n))])
    n = int(1000 * SCALE)
    chain.append(SecurityEvent, [
        {"occurred_at": at(i, n), "action": ["sign_in", "sign_out", "sign_in_failed"][i % 3],
         "user_id": user.pk, "attempted_email": user.email, "ip": "203.0.113.9",
         "user_agent": agent, "subject_id": None, "object_label": ""}
        for i in range(n)])
    for i in range(int(40 * SCALE)):
        ticket = support.file_ticket(user, kind="enquiry", subject=f"Question {year}-{i}", message="Hello, a question.")
        Ticket.objects.filter(pk=ticket.pk).update(created_at=at(i, 40), updated_at=at(i, 40))
    line = billing.LineInput("Cloud server, monthly", Decimal(1), Decimal("1500.00"))
    for i in range(int(12 * SCALE)):
        note = billing.create_billing_note(profile, lines=[line])
        billing.record_payment(note, received_on=note.issued_on, net_received=note.total)
    AccessGrant.objects.bulk_create(
        AccessGrant(customer=user, node_id="node-1", reason="Disk check", starts_at=at(i, 20),
                    expires_at=at(i, 20) + datetime.timedelta(hours=2), created_at=at(i, 20))
        for i in range(int(20 * SCALE)))
    DataExport.objects.bulk_create(
        DataExport(customer=user, requested_at=at(i, 12), ready_at=at(i, 12),
                   expires_at=at(i, 12) + datetime.timedelta(days=7))
        for i in range(int(12 * SCALE)))


PAGES = ["/bench-trivial/", "/accounts/", "/accounts/profile/", "/privacy/", "/privacy/me/",
         "/privacy/my-data/", "/privacy/my-data/exports/", "/privacy/my-data/close/",
         "/activity/", "/activity/sign-ins/", "/activity/access/", "/activity/grants/",
         "/activity/grants/new/", "/billing/", "/billing/profiles/", "/billing/documents/",
         "/support/", "/support/tickets/new/", "DOCUMENT", "TICKET"]


def measure():
    client = Client(HTTP_ACCEPT_LANGUAGE="th")
    client.force_login(user)
    urls = [p.replace("DOCUMENT", Document.objects.filter(customer=user).first().get_absolute_url())
             .replace("TICKET", Ticket.objects.filter(customer=user).first().get_absolute_url()) for p in PAGES]
    cpu = {url: [] for url in urls}
    queries = {}
    for url in urls:
        response = client.get(url)  # warm
        assert response.status_code == 200, (url, response.status_code, response.get("Location"))
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries[url] = len(captured.captured_queries)
    for _ in range(ROUNDS):
        for url in urls:
            started = time.process_time()
            for _ in range(REQUESTS):
                client.get(url)
            cpu[url].append((time.process_time() - started) / REQUESTS * 1000)
    return {page: {"cpu_ms": cpu[url], "queries": queries[url]} for page, url in zip(PAGES, urls)}, PAGES


seed_year(0)
one, urls = measure()
for year in range(1, 5):
    seed_year(year)
five, _ = measure()
rows = {table: model.objects.count() for table, model in (("access", AccessLog), ("node", NodeEvent), ("security", SecurityEvent))}
print(json.dumps({"one": one, "five": five, "urls": urls, "rows": rows}))
"""


def pg_url() -> str:
    return os.environ.get("BENCH_PAGES_PG_URL", DEFAULT_PG)


def fresh_database() -> None:
    import psycopg2

    parts = urlsplit(pg_url())
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(pg_url().replace(parts.path, "/postgres", 1))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def run() -> dict:
    fresh_database()
    directory = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    (directory / "pages_bench_settings.py").write_text(SETTINGS)
    (directory / "pages_bench_urls.py").write_text(URLS)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=pg_url(),
        DJANGO_SETTINGS_MODULE="pages_bench_settings",
        PYTHONPATH=f"{directory}{os.pathsep}{ROOT}",
    )
    env.pop("DATABASE_OWNER_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"pages bench failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    load = os.getloadavg()
    trivial = "/bench-trivial/"

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    base = {size: median(data[size][trivial]["cpu_ms"]) for size in ("one", "five")}
    print(
        f"rows at five years: {data['rows']}; load average {load[0]:.2f} {load[1]:.2f}"
    )
    print(
        f"{'page':34} {'queries':>7} {'CPU ms min/med/max (5 y)':>26} "
        f"{'× trivial':>9} {'5 y / 1 y':>9}"
    )
    report: dict = {"rows": data["rows"], "loadavg": load, "pages": {}}
    for url in data["urls"]:
        one, five = data["one"][url], data["five"][url]
        cpu = five["cpu_ms"]
        ratio = median(cpu) / base["five"]
        growth = median(cpu) / median(one["cpu_ms"])
        report["pages"][url] = {
            "queries_1y": one["queries"],
            "queries_5y": five["queries"],
            "cpu_ms_5y": cpu,
            "cpu_ms_1y": one["cpu_ms"],
            "ratio_to_trivial_5y": ratio,
            "growth_5y_over_1y": growth,
        }
        print(
            f"{url:34} {five['queries']:>3} ({one['queries']:>2}) "
            f"{min(cpu):7.2f} {median(cpu):7.2f} {max(cpu):7.2f}   {ratio:7.2f} {growth:9.2f}"
        )
    return report
