"""Gunicorn hooks: flush the access-log buffer when a worker exits or restarts.

Workers exit through ``sys.exit`` on a graceful stop, so the buffer's atexit handler
flushes already; this hook makes it explicit. Use ``gunicorn -c python:auditlog.gunicorn``
or call ``worker_exit`` from your own gunicorn config.
"""

from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    from auditlog import buffer

    buffer.flush()
