"""Prometheus metrics for operators (prometheus_client), at ``/metrics`` behind a token.

What is measured: requests by view and status with latency histograms, the access-log
buffer (depth, dropped records, flush failures, flush duration), the task queue (depth
and age of the oldest ready task, read from the database at scrape time), rate-limit
refusals and PDF render time. Recording costs no query and never breaks a request.

Several processes. Under gunicorn each worker counts on its own; with
``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, emptied at every start) the
client keeps its values in files there and a scrape of any worker adds them up
(prometheus_client's multiprocess mode; ``onespace.gunicorn`` marks dead workers).
Without it a scrape sees only the worker that answers, which is right for one process.

Not public: the endpoint answers 404 unless ``METRICS_TOKEN`` is set, and then only to
``Authorization: Bearer <token>``. It is not access-logged (``AUDITLOG_SKIP_PATHS``).
"""

import contextlib
import hmac
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

REQUESTS = Counter(
    "onespace_requests_total",
    "HTTP requests answered, by view (URL name) and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "onespace_request_duration_seconds",
    "Time to answer a request, by view (URL name).",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BUFFER_DEPTH = Gauge(
    "onespace_auditlog_buffer_records",
    "Access-log records waiting in memory for the next flush.",
    multiprocess_mode="livesum",
)
DROPPED = Counter(
    "onespace_auditlog_dropped_records_total",
    "Access-log records dropped because the buffer was full (AUDITLOG_BUFFER_MAX).",
)
FLUSH_FAILURES = Counter(
    "onespace_auditlog_flush_failures_total",
    "Flushes of the access-log buffer the database could not take (records kept).",
)
FLUSH_SECONDS = Histogram(
    "onespace_auditlog_flush_duration_seconds",
    "Time to write one flush of the access-log buffer.",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RATE_LIMITED = Counter(
    "onespace_rate_limit_hits_total",
    "Requests refused with 429 by a rate limit, by limit (a key of RATE_LIMITS).",
    ["limit"],
)
PDF_SECONDS = Histogram(
    "onespace_pdf_render_seconds",
    "Time to render one PDF (tax documents, record of processing).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class TaskQueueCollector(Collector):
    """Depth of the database task queue and age of its oldest ready task, at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import DatabaseError
        from django.db.models import Count, Min
        from django.utils import timezone

        depth = GaugeMetricFamily(
            "onespace_task_queue_depth",
            "Tasks ready to run (django-tasks-db), by queue.",
            labels=["queue"],
        )
        age = GaugeMetricFamily(
            "onespace_task_queue_oldest_age_seconds",
            "Seconds the oldest ready task has waited since it could run, by queue.",
            labels=["queue"],
        )
        try:
            from django_tasks_db.models import DBTaskResult

            now = timezone.now()
            rows = (
                DBTaskResult.objects.ready()
                .values("queue_name")
                .annotate(n=Count("id"), oldest=Min("enqueued_at"))
            )
            for row in rows:
                depth.add_metric([row["queue_name"]], row["n"])
                age.add_metric(
                    [row["queue_name"]], (now - row["oldest"]).total_seconds()
                )
        except (DatabaseError, LookupError, ImportError):
            return  # no queue table (another task backend) or no database: no sample
        yield depth
        yield age


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    return registry


_queue_collector = TaskQueueCollector()


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format, to a scraper with ``METRICS_TOKEN``; 404 otherwise."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise Http404
    registry = _registry()
    body = generate_latest(registry)
    queue = CollectorRegistry()
    queue.register(_queue_collector)
    body += generate_latest(queue)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Count every request by the view that answered it (its URL name) and its status."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        started = time.perf_counter()
        response = self.get_response(request)
        with contextlib.suppress(
            Exception
        ):  # a metric never turns a page into an error
            match = getattr(request, "resolver_match", None)
            view = (match.view_name if match else "") or "unresolved"
            REQUESTS.labels(view, request.method or "", str(response.status_code)).inc()
            REQUEST_SECONDS.labels(view).observe(time.perf_counter() - started)
        return response
