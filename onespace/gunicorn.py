"""Gunicorn hooks for the portal: ``gunicorn onespace.wsgi -c python:onespace.gunicorn``.

``worker_exit`` flushes the access-log buffer (``auditlog.gunicorn``); ``child_exit``
tells prometheus_client a worker is gone, so its live gauges (the buffer depth) stop
counting in the sum when ``PROMETHEUS_MULTIPROC_DIR`` is set (``onespace.metrics``).
"""

import os
from typing import Any

from auditlog.gunicorn import worker_exit

__all__ = ["child_exit", "worker_exit"]


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
