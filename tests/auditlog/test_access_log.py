"""The access-log middleware: what it records, what it skips, and that it adds no query."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from auditlog import buffer
from auditlog.models import AccessLog
from tests.factories import TEST_PASSWORD

MIDDLEWARE = "auditlog.middleware.AccessLogMiddleware"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@pytest.mark.django_db
def test_anonymous_request_is_logged_with_browser_and_without_query_string(client):
    client.get("/privacy/?token=secret&email=a@b.c", HTTP_USER_AGENT=CHROME)
    assert buffer.flush() == 1
    row = AccessLog.objects.get()
    assert row.path == "/privacy/"
    assert "secret" not in row.path
    assert row.user_id is None
    assert row.ip == "127.0.0.1"
    assert row.method == "GET"
    assert row.status == 200
    assert (row.browser_family, row.browser_version, row.os_family) == (
        "Chrome",
        "120.0",
        "Linux",
    )
    assert row.user_agent == CHROME
    assert row.duration_ms >= 0


@pytest.mark.django_db
def test_emailed_link_tokens_are_not_kept_in_the_path(client, alice):
    client.get("/accounts/verify/InNlY3JldCI:1vZ9Xq:abcdefTOKEN/")
    client.get("/accounts/password/reset/MQ/cz4kl7-0123456789abcdefTOKEN/")
    buffer.flush()
    paths = set(AccessLog.objects.values_list("path", flat=True))
    assert paths == {"/accounts/verify/…", "/accounts/password/reset/…"}


@pytest.mark.django_db
def test_signed_in_customer_is_logged_with_their_id(client, alice):
    client.force_login(alice)
    client.get(reverse("auditlog:node-event-list"))
    buffer.flush()
    assert AccessLog.objects.filter(user=alice, path="/activity/").count() == 1


@pytest.mark.django_db
def test_staff_requests_are_logged(staff_client, auditor):
    staff_client(auditor).get("/admin/")
    buffer.flush()
    assert AccessLog.objects.filter(user=auditor, path="/admin/").exists()


@pytest.mark.django_db
def test_skipped_paths_are_not_logged(client, settings):
    client.get("/healthz")
    client.get("/static/css/portal.css")
    assert buffer.pending() == 0


@pytest.mark.django_db
def test_user_agent_is_bounded(client):
    client.get("/privacy/", HTTP_USER_AGENT="x" * 5000)
    buffer.flush()
    assert len(AccessLog.objects.get().user_agent) == 512


@pytest.mark.django_db
def test_forwarded_for_from_an_untrusted_peer_is_ignored(client):
    client.get(
        "/privacy/", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="192.0.2.9"
    )
    buffer.flush()
    assert AccessLog.objects.get().ip == "192.0.2.9"


@pytest.mark.django_db
def test_trusted_proxy_forwarded_address_is_recorded(client, settings):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    client.get("/privacy/", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="10.0.0.2")
    buffer.flush()
    assert AccessLog.objects.get().ip == "198.51.100.1"


def _query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _without_middleware(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]


@pytest.mark.django_db
def test_middleware_adds_no_query_to_an_anonymous_request(client, settings):
    client.get("/privacy/")  # warm caches (content types, translations)
    logged = _query_count(client, "/privacy/")
    assert buffer.pending() == 2
    _without_middleware(settings)
    plain = Client()
    plain.get("/privacy/")
    assert _query_count(plain, "/privacy/") == logged
    assert buffer.pending() == 2


@pytest.mark.django_db
def test_middleware_adds_no_query_to_a_signed_in_page(client, alice, settings):
    client.force_login(alice)
    url = reverse("auditlog:access-log-list")
    client.get(url)
    logged = _query_count(client, url)
    _without_middleware(settings)
    plain = Client()  # a client builds its middleware chain once
    plain.force_login(alice)
    plain.get(url)
    assert _query_count(plain, url) == logged
    buffer.flush()
    assert AccessLog.objects.filter(user=alice, path=url).count() == 2


@pytest.mark.django_db
def test_failing_log_write_never_breaks_a_page(client, settings):
    # A buffer that refuses everything (its cap set to an invalid value) must not
    # turn the page into an error.
    settings.AUDITLOG_BUFFER_MAX = None
    response = client.get("/privacy/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_failed_flush_keeps_records_for_the_next_try(client, monkeypatch):
    client.get("/privacy/")
    from auditlog import services

    def refuse(batch):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services, "write_buffered", refuse)
    assert buffer.flush() == 0
    assert buffer.pending() == 1
    monkeypatch.undo()
    assert buffer.flush() == 1
    assert AccessLog.objects.count() == 1


@pytest.mark.django_db
def test_sign_in_through_the_form_is_logged_with_the_user(client, alice):
    client.post(
        reverse("accounts:login"), {"username": alice.email, "password": TEST_PASSWORD}
    )
    buffer.flush()
    assert AccessLog.objects.filter(
        path=reverse("accounts:login"), method="POST"
    ).exists()


@pytest.mark.django_db
def test_no_flusher_thread_runs_under_the_test_runner(client):
    import threading

    client.get("/privacy/")
    assert "auditlog-flusher" not in {t.name for t in threading.enumerate()}
    assert buffer.pending() == 1
