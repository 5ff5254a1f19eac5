"""Prometheus metrics at /metrics for operators only, and /healthz watching the access log."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from auditlog import buffer
from auditlog.models import AccessLog
from tests import owner

pytestmark = pytest.mark.django_db

TOKEN = "scrape-secret-token"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get() -> str:
        response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return response.content.decode()

    return get


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        found = re.match(r"^([^{ ]+)(?:\{(.*)\})? (\S+)$", line)
        if found is None or found[1] != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', found[2] or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            return float(found[3])
    return 0.0


def test_metrics_are_not_public(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("metrics")).status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get(reverse("metrics")).status_code == 404
    wrong = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 404
    assert b"onespace_" not in wrong.content


def test_requests_are_counted_by_view_and_status_with_latency(client, scrape):
    before = scrape()
    client.get(reverse("policy:notice"))
    client.get("/no-such-page/")
    after = scrape()
    view = {"view": "policy:notice", "method": "GET", "status": "200"}
    assert sample(after, "onespace_requests_total", **view) == (
        sample(before, "onespace_requests_total", **view) + 1
    )
    missing = {"view": "unresolved", "status": "404"}
    assert sample(after, "onespace_requests_total", **missing) >= 1
    assert (
        sample(after, "onespace_request_duration_seconds_count", view="policy:notice")
        == sample(
            before, "onespace_request_duration_seconds_count", view="policy:notice"
        )
        + 1
    )


def test_buffer_depth_flushes_and_dropped_records(client, scrape, settings):
    buffer.clear()
    client.get(reverse("policy:notice"))
    client.get(reverse("policy:notice"))
    assert sample(scrape(), "onespace_auditlog_buffer_records") == 2
    flushes = sample(scrape(), "onespace_auditlog_flush_duration_seconds_count")
    assert buffer.flush() == 2
    text = scrape()
    assert sample(text, "onespace_auditlog_buffer_records") == 0
    assert sample(text, "onespace_auditlog_flush_duration_seconds_count") == flushes + 1
    dropped = sample(text, "onespace_auditlog_dropped_records_total")
    settings.AUDITLOG_BUFFER_MAX = 1
    client.get(reverse("policy:notice"))
    client.get(reverse("policy:notice"))
    assert sample(scrape(), "onespace_auditlog_dropped_records_total") == dropped + 1
    buffer.clear()


def _break_the_access_log_table() -> None:
    """The database refuses every write to the access log (inside the test's transaction)."""
    statement = "ALTER TABLE auditlog_accesslog RENAME TO auditlog_accesslog_away"
    if connection.vendor == "postgresql":
        owner.as_owner(statement)
    else:
        with connection.cursor() as cursor:
            cursor.execute(statement)


def _mend_the_access_log_table() -> None:
    statement = "ALTER TABLE auditlog_accesslog_away RENAME TO auditlog_accesslog"
    if connection.vendor == "postgresql":
        owner.as_owner(statement)
    else:
        with connection.cursor() as cursor:
            cursor.execute(statement)


def test_healthz_is_unhealthy_while_the_access_log_cannot_flush(
    client, scrape, settings
):
    settings.AUDITLOG_HEALTH_FLUSH_SECONDS = 0
    buffer.clear()
    assert client.get(reverse("healthz")).json()["status"] == "ok"
    failures = sample(scrape(), "onespace_auditlog_flush_failures_total")
    client.get(reverse("policy:notice"))
    _break_the_access_log_table()
    assert buffer.flush() == 0  # the database could not take it: kept
    assert buffer.pending() == 1
    health = client.get(reverse("healthz"))
    assert health.status_code == 503
    assert health.json()["access_log"] == "failing"
    assert sample(scrape(), "onespace_auditlog_flush_failures_total") == failures + 1
    # Within the allowed time the node is still healthy.
    settings.AUDITLOG_HEALTH_FLUSH_SECONDS = 300
    assert client.get(reverse("healthz")).status_code == 200
    settings.AUDITLOG_HEALTH_FLUSH_SECONDS = 0
    _mend_the_access_log_table()
    assert buffer.flush() == 1
    assert AccessLog.objects.filter(path=reverse("policy:notice")).count() == 1
    assert client.get(reverse("healthz")).status_code == 200


def test_rate_limit_refusals_are_counted(client, scrape, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "1/h"}
    before = sample(scrape(), "onespace_rate_limit_hits_total", limit="password_reset")
    for _ in range(3):
        client.post(reverse("accounts:password-reset"), {"email": "x@example.com"})
    after = sample(scrape(), "onespace_rate_limit_hits_total", limit="password_reset")
    assert after == before + 2


def test_pdf_render_time_is_measured(scrape):
    from onespace.pdf import html_to_pdf

    before = sample(scrape(), "onespace_pdf_render_seconds_count")
    assert html_to_pdf("<p>ใบกำกับภาษี</p>").startswith(b"%PDF")
    assert sample(scrape(), "onespace_pdf_render_seconds_count") == before + 1


def test_task_queue_depth_and_oldest_age(scrape, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    from policy.tasks import run_daily_maintenance

    assert sample(scrape(), "onespace_task_queue_depth", queue="default") == 0
    run_daily_maintenance.enqueue()
    run_daily_maintenance.enqueue()
    text = scrape()
    assert sample(text, "onespace_task_queue_depth", queue="default") == 2
    assert sample(text, "onespace_task_queue_oldest_age_seconds", queue="default") >= 0
