"""Rate limits per client address and per account, in the cache every worker shares."""

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ServiceToken
from support.models import Ticket
from tests.conftest import skip_or_fail
from tests.factories import CustomerFactory
from tests.support.conftest import PNG_BYTES, upload

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def limit(settings):
    """Set one group's limit for this test: ``limit("signup", "2/h")``."""

    def set_limit(group: str, rate: str) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, group: rate}

    return set_limit


def _is_limited(response) -> bool:
    if response.status_code != 429:
        return False
    assert int(response["Retry-After"]) > 0
    return True


def _signup(client, email="somchai@example.com", ip="192.0.2.1", **extra):
    return client.post(
        reverse("accounts:signup"),
        {"full_name": "Somchai", "email": email, "phone": "0812345678"},
        REMOTE_ADDR=ip,
        **extra,
    )


# --- The forms ----------------------------------------------------------------------


def test_sign_up_is_limited_per_address_with_a_thai_page(client, limit, db):
    limit("signup", "2/h")
    assert not _is_limited(_signup(client, "a@example.com"))
    assert not _is_limited(_signup(client, "b@example.com"))
    refused = _signup(client, "c@example.com")
    assert _is_limited(refused)
    page = refused.content.decode()
    assert "มีคำขอมากเกินไป" in page
    assert refused.templates[0].name == "429.html"
    client.cookies["onespace_language"] = "en"
    assert "Too many requests" in _signup(client, "d@example.com").content.decode()
    # Another address is counted on its own.
    assert not _is_limited(_signup(client, "e@example.com", ip="192.0.2.2"))


def test_a_forged_forwarded_for_header_changes_nothing(client, limit, db):
    limit("signup", "2/h")
    for n in range(2):
        _signup(client, f"{n}@example.com", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert _is_limited(
        _signup(client, "x@example.com", HTTP_X_FORWARDED_FOR="198.51.100.99")
    )


def test_the_client_address_behind_a_trusted_proxy_is_what_counts(
    client, limit, settings, db
):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    limit("signup", "2/h")
    for n in range(2):
        _signup(
            client,
            f"{n}@example.com",
            ip="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    assert _is_limited(
        _signup(
            client, "x@example.com", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"
        )
    )
    # Another client behind the same proxy is not held back by the first.
    assert not _is_limited(
        _signup(
            client, "y@example.com", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6"
        )
    )


def test_password_reset_is_limited_per_email_address_from_any_address(
    client, limit, alice
):
    limit("password_reset", "2/h")
    url = reverse("accounts:password-reset")
    for n in range(2):
        response = client.post(url, {"email": alice.email}, REMOTE_ADDR=f"192.0.2.{n}")
        assert not _is_limited(response)
    assert _is_limited(
        client.post(url, {"email": alice.email.upper()}, REMOTE_ADDR="192.0.2.77")
    )


def test_resending_the_verification_link_is_limited_per_account(client, limit, db):
    limit("resend_verification", "2/h")
    unverified = CustomerFactory(email="new@example.com", email_verified_at=None)
    client.force_login(unverified)
    url = reverse("accounts:verification-pending")
    for n in range(2):
        assert not _is_limited(client.post(url, REMOTE_ADDR=f"192.0.2.{n}"))
    assert _is_limited(client.post(url, REMOTE_ADDR="192.0.2.50"))


def test_data_export_is_limited_per_account_and_per_address(client, limit, alice, bob):
    limit("data_export", "2/h")
    url = reverse("policy:export")
    client.force_login(alice)
    for _ in range(2):
        assert not _is_limited(client.post(url, REMOTE_ADDR="192.0.2.5"))
    assert _is_limited(client.post(url, REMOTE_ADDR="192.0.2.6"))  # her account
    client.force_login(bob)
    assert _is_limited(client.post(url, REMOTE_ADDR="192.0.2.5"))  # that address
    assert not _is_limited(client.post(url, REMOTE_ADDR="192.0.2.200"))


def test_ticket_creation_is_limited(client, limit, alice):
    limit("ticket_create", "2/h")
    client.force_login(alice)
    url = reverse("support:ticket-create")
    data = {"kind": Ticket.Kind.PROBLEM, "subject": "Help", "message": "Slow disk."}
    for _ in range(2):
        assert not _is_limited(client.post(url, data))
    assert _is_limited(client.post(url, data))
    assert Ticket.objects.count() == 2


def test_attachment_uploads_are_limited_but_plain_replies_are_not(client, limit, alice):
    from support import services

    limit("attachment_upload", "2/h")
    ticket = services.file_ticket(
        alice, kind=Ticket.Kind.PROBLEM, subject="Help", message="Slow disk."
    )
    client.force_login(alice)
    url = reverse("support:ticket-reply", args=[ticket.pk])

    def reply(with_file: bool):
        data = {"message": "More detail."}
        if with_file:
            data["attachments"] = upload("shot.png", PNG_BYTES, "image/png")
        return client.post(url, data)

    for _ in range(2):
        assert not _is_limited(reply(with_file=True))
    assert _is_limited(reply(with_file=True))
    assert not _is_limited(reply(with_file=False))


def test_a_get_is_never_counted(client, limit, db):
    limit("signup", "1/h")
    for _ in range(3):
        assert client.get(reverse("accounts:signup")).status_code == 200
    assert not _is_limited(_signup(client))


# --- The APIs ------------------------------------------------------------------------


def _api(scopes: list[str]) -> APIClient:
    _token, raw = ServiceToken.issue(name=f"caller {uuid.uuid4()}", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _node_events(client, ip="192.0.2.1"):
    return client.post("/api/v1/node-events/", [], format="json", REMOTE_ADDR=ip)


def _access_check(client, ip="192.0.2.1"):
    return client.get(
        "/api/v1/access-grants/check",
        {"node_id": "node-1", "staff_id": 1},
        REMOTE_ADDR=ip,
    )


def _invoice(client, ip="192.0.2.1"):
    return client.post(
        "/api/v1/invoices/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        REMOTE_ADDR=ip,
    )


@pytest.mark.parametrize(
    ("scope", "token_scope", "call"),
    [
        ("node_events", "node-events", _node_events),
        ("access_check", "access-check", _access_check),
        ("invoices", "billing", _invoice),
    ],
)
def test_api_answers_429_json_per_token_and_per_address(
    limit, scope, token_scope, call
):
    limit(scope, "2/m")
    first = _api([token_scope])
    for n in range(2):
        assert call(first, ip=f"192.0.2.{n}").status_code != 429
    refused = call(first, ip="192.0.2.99")  # a new address does not reset the token
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused["Content-Type"] == "application/json"
    assert "วินาที" in refused.json()["detail"]
    # A second token from an address the first one used up is refused too.
    second = _api([token_scope])
    assert call(second, ip="192.0.2.0").status_code != 429
    assert call(second, ip="192.0.2.0").status_code == 429


def test_api_limit_message_in_english(limit):
    limit("node_events", "1/m")
    client = _api(["node-events"])
    _node_events(client)
    refused = client.post(
        "/api/v1/node-events/", [], format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many requests. Try again in")


# --- The shared cache ----------------------------------------------------------------


def _settings_value(expression: str, **env: str) -> str:
    """Evaluate ``expression`` in a fresh process importing the settings with ``env``."""
    environment = {**os.environ, **env}
    environment.pop("REDIS_URL", None) if "REDIS_URL" not in env else None
    result = subprocess.run(
        [sys.executable, "-c", f"import onespace.settings as s; print({expression})"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip() or result.stderr


def test_the_database_cache_by_default_redis_when_redis_url_is_set():
    backend = "s.CACHES['default']['BACKEND']"
    assert _settings_value(backend) == "onespace.cache.DatabaseCache"
    assert (
        _settings_value(backend, REDIS_URL="redis://127.0.0.1:6379/0")
        == "django.core.cache.backends.redis.RedisCache"
    )
    assert "ImproperlyConfigured" in _settings_value("1", RATE_LIMIT_SIGNUP="lots")


def test_migrate_alone_creates_the_cache_table(tmp_path):
    """`make run` only migrates: the rate-limit table must come with the migrations."""
    database = tmp_path / "fresh.sqlite3"
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    environment.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environment,
        check=True,
        timeout=300,
    )
    import sqlite3

    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "onespace_cache" in tables


@pytest.mark.django_db(transaction=True)
def test_database_cache_counts_every_parallel_increment(postgres):
    """Workers counting the same window at once never lose a request."""
    cache = caches["default"]
    key = f"parallel-{uuid.uuid4()}"
    cache.add(key, 0, 60)
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)

    def work():
        try:
            barrier.wait()
            for _ in range(per_thread):
                cache.incr(key)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert cache.get(key) == threads * per_thread


@pytest.fixture
def redis_cache(settings):
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - any failure means "no Redis here"
        skip_or_fail(f"needs Redis at {url} ({error.__class__.__name__})")
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    yield url, prefix
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_limits_hold_with_redis_and_every_worker_sees_the_count(
    client, limit, redis_cache
):
    import redis

    url, prefix = redis_cache
    limit("signup", "2/h")
    for n in range(2):
        assert not _is_limited(_signup(client, f"{n}@example.com"))
    # Another worker is another process: it sees the counters only through Redis.
    counters = list(redis.Redis.from_url(url).scan_iter(f"{prefix}:*rl:*"))
    assert counters
    assert _is_limited(_signup(client, "x@example.com"))
