"""In-memory buffer between the request cycle and the log tables.

Requests and signal receivers only ``record(...)`` a dict: no database query is added
to a request. A background thread per process flushes the buffer in bulk every
``AUDITLOG_FLUSH_INTERVAL`` seconds; ``flush()`` also runs at interpreter exit (clean
shutdown, gunicorn worker exit or restart) so nothing is lost then. A hard crash loses
at most the last interval. If the database cannot be reached, the records stay buffered
(up to ``AUDITLOG_BUFFER_MAX``, oldest dropped first) and are retried. A record the
database refuses for its content never blocks the others: values are made storable when
recorded, and a record refused all the same is set aside in the dead-letter table while
the rest of the batch is written (``services.write_buffered``).

Under the test runner no thread is started: tests call ``flush()`` themselves.
"""

import atexit
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from onespace import metrics

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_flush_lock = threading.Lock()
_records: list[tuple[str, dict[str, Any]]] = []
_pid: int | None = None
_stop = threading.Event()
_thread: threading.Thread | None = None
dropped = 0
_failing_since: float | None = None  # time.monotonic() of the first failed flush


def _testing() -> bool:
    from django.test.utils import _TestState  # type: ignore[attr-defined]

    return hasattr(_TestState, "saved_data")


def record(kind: str, values: dict[str, Any]) -> None:
    """Queue one row (``kind`` is "access", "security" or "node") for the next flush."""
    global dropped
    _ensure_flusher()
    with _lock:
        _records.append((kind, values))
        overflow = len(_records) - settings.AUDITLOG_BUFFER_MAX
        if overflow > 0:
            del _records[:overflow]
            dropped += overflow
            metrics.DROPPED.inc(overflow)
        metrics.BUFFER_DEPTH.set(len(_records))


def pending() -> int:
    return len(_records)


def failing_for() -> float:
    """Seconds since this process's flushes began to fail; 0 while they succeed."""
    return time.monotonic() - _failing_since if _failing_since is not None else 0.0


def clear() -> None:
    with _lock:
        _records.clear()


def flush() -> int:
    """Write every buffered record to the database now; return how many left the buffer.

    A record the database refused for its content left it too, into the dead-letter
    table; records the database could not take at all stay for the next try.
    """
    from auditlog import services

    global _failing_since
    with _flush_lock:
        with _lock:
            batch = list(_records)
            _records.clear()
        if not batch:
            return 0
        started = time.perf_counter()
        try:
            kept = services.write_buffered(batch)
        except Exception as error:
            # A failing log write never breaks a page: keep the rows for the next try.
            # The class only: a driver's message quotes the refused value (an address,
            # a path), which is personal data the application log must not hold.
            logger.error(
                "audit log flush failed (%s); %d records kept",
                type(error).__name__,
                len(batch),
            )
            kept = batch
        metrics.FLUSH_SECONDS.observe(time.perf_counter() - started)
        # Records kept are records the database could not take at all (/healthz).
        if kept:
            metrics.FLUSH_FAILURES.inc()
            if _failing_since is None:
                _failing_since = time.monotonic()
        else:
            _failing_since = None
        with _lock:
            if kept:
                _records[:0] = kept
            metrics.BUFFER_DEPTH.set(len(_records))
        return len(batch) - len(kept)


def _run() -> None:
    from auditlog import services

    # Load ua-parser's rules now (about a second), not during the first busy flush.
    services.parse_user_agent("")
    interval = settings.AUDITLOG_FLUSH_INTERVAL
    while not _stop.wait(interval):
        close_old_connections()
        flush()
    connection.close()


def _ensure_flusher() -> None:
    """Start this process's flusher thread once (again after a fork)."""
    global _pid, _thread
    if _pid is not None:
        return
    with _lock:
        if _pid == os.getpid():
            return
        _pid = os.getpid()
        if _testing() or settings.AUDITLOG_FLUSH_INTERVAL <= 0:
            return
        _stop.clear()
        _thread = threading.Thread(target=_run, name="auditlog-flusher", daemon=True)
        _thread.start()
        atexit.register(_at_exit)


def _after_fork() -> None:
    # A forked child (a gunicorn worker) has the parent's records but not its thread.
    global _pid, _lock, _flush_lock, _failing_since
    _failing_since = None
    _pid = None
    _lock = threading.Lock()
    _flush_lock = threading.Lock()
    _records.clear()


os.register_at_fork(after_in_child=_after_fork)


def _at_exit() -> None:
    _stop.set()
    if _pid == os.getpid():
        flush()


def install_sigterm_handler() -> None:
    """Turn SIGTERM into a clean exit (so atexit flushes) where nobody else handles it.

    ``runserver`` and ``db_worker`` leave SIGTERM at the default, which kills the process
    without running atexit handlers; gunicorn installs its own handlers and exits cleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return
    handler: Callable[[int, Any], None] = _raise_system_exit
    signal.signal(signal.SIGTERM, handler)


def _raise_system_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)
