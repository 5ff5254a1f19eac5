"""Issue 11: no record can block the audit log, whatever a request carries.

Values are made storable when they are recorded; a record the database refuses all
the same is set aside as a dead letter while the rest of the batch is written. The
poison cases fail only on PostgreSQL (SQLite stores NUL bytes), which CI runs.
"""

import ipaddress
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from auditlog import buffer, chain
from auditlog.models import AccessLog, DeadLetter, SecurityEvent
from onespace.storable import storable_json, storable_text

pytestmark = pytest.mark.django_db


def _fifty(client) -> None:
    for number in range(50):
        client.get(f"/privacy/?n={number}")


def test_a_nul_in_the_path_does_not_block_the_requests_after_it(client):
    assert client.get("/%00").status_code == 404
    _fifty(client)
    buffer.flush()
    assert buffer.pending() == 0
    assert AccessLog.objects.count() == 51
    assert AccessLog.objects.filter(path="/\\x00").exists()
    assert not DeadLetter.objects.exists()
    assert list(chain.verify(AccessLog)) == []


def test_a_zoned_ipv6_client_does_not_block_the_requests_after_it(client):
    client.get("/privacy/", REMOTE_ADDR="fe80::1%eth0")
    _fifty(client)
    buffer.flush()
    assert buffer.pending() == 0
    assert AccessLog.objects.count() == 51
    row = AccessLog.objects.get(raw_ip="fe80::1%eth0")
    assert row.ip == "fe80::1"
    assert list(chain.verify(AccessLog)) == []


def test_a_zoned_address_behind_a_trusted_proxy_is_kept_as_received(client, settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    client.get(
        "/privacy/",
        HTTP_X_FORWARDED_FOR="fe80::7%en0, 10.0.0.3",
        REMOTE_ADDR="10.0.0.2",
    )
    client.get("/privacy/", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="10.0.0.2")
    buffer.flush()
    assert set(AccessLog.objects.values_list("ip", "raw_ip")) == {
        ("fe80::7", "fe80::7%en0"),
        ("198.51.100.1", ""),
    }


def test_failed_sign_in_from_a_zoned_address_reaches_the_security_log(client):
    # django-axes records the same attempt with the same address (client_ip).
    client.post(
        reverse("accounts:login"),
        {"username": "nobody@example.com", "password": "wrong"},
        REMOTE_ADDR="fe80::1%eth0",
    )
    client.get("/privacy/", HTTP_USER_AGENT="bot\x00\udcff")
    _fifty(client)
    buffer.flush()
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.SIGN_IN_FAILED)
    assert (event.ip, event.raw_ip) == ("fe80::1", "fe80::1%eth0")
    assert AccessLog.objects.get(user_agent="bot\\x00\\udcff")
    assert AccessLog.objects.count() == 52
    assert list(chain.verify(SecurityEvent)) == []
    assert list(chain.verify(AccessLog)) == []


def _access(path: str, **change) -> dict:
    values = {
        "occurred_at": timezone.now(),
        "user_id": None,
        "remote_addr": "192.0.2.1",
        "forwarded_for": "",
        "user_agent": "test",
        "method": "GET",
        "path": path,
        "status": 200,
        "duration_ms": 1,
    }
    values.update(change)
    return values


def test_a_record_the_database_refuses_becomes_a_dead_letter_and_the_rest_is_written(
    caplog,
):
    # A status no column can hold stands for any value the recording missed.
    for number in range(25):
        buffer.record("access", _access(f"/before/{number}"))
    buffer.record("access", _access("/refused", status=-1))
    for number in range(25):
        buffer.record("access", _access(f"/after/{number}"))
    with caplog.at_level(logging.INFO):
        assert buffer.flush() == 51
    assert buffer.pending() == 0
    assert AccessLog.objects.count() == 50
    assert not AccessLog.objects.filter(path="/refused").exists()
    letter = DeadLetter.objects.get()
    assert letter.kind == DeadLetter.Kind.ACCESS
    assert '"path": "/refused"' in letter.content
    assert '"status": -1' in letter.content
    assert letter.error
    # The rows written around it form one unbroken chain.
    assert list(chain.verify(AccessLog)) == []
    # The application log says what happened, never what the record held.
    assert "dead letter" in caplog.text
    assert "/refused" not in caplog.text
    assert "192.0.2.1" not in caplog.text


def test_several_refused_records_are_each_set_aside(client):
    for number in range(40):
        bad = number in (0, 17, 18, 39)
        buffer.record("access", _access(f"/p/{number}", status=-1 if bad else 200))
    buffer.record(
        "security",
        {
            "occurred_at": timezone.now(),
            "action": "sign_in",
            "user_id": None,
            "attempted_email": "x" * 300,
            "ip": None,
            "raw_ip": "",
            "user_agent": "",
            "subject_id": None,
            "object_label": "",
        },
    )
    assert buffer.flush() == 41
    assert AccessLog.objects.count() == 36
    assert DeadLetter.objects.filter(kind=DeadLetter.Kind.ACCESS).count() == 4
    assert list(chain.verify(AccessLog)) == []


def test_dead_letter_content_is_always_storable():
    values = _access("/x\x00\udcff", status=-1, user_agent="\ud800")
    buffer.record("access", values)
    buffer.flush()
    letter = DeadLetter.objects.get()
    assert letter.content.isascii()
    assert "\\u0000" in letter.content


def test_rows_written_before_the_raw_ip_column_still_verify(client):
    client.get("/privacy/")
    buffer.flush()
    row = AccessLog.objects.get()
    assert row.raw_ip == ""
    # The hash as it was computed before raw_ip existed: every other chained column.
    before = [getattr(row, name) for name in AccessLog.chain_fields[:-1]]
    assert chain.row_hash(row.prev_hash, before) == row.hash


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/healthz", False),
        ("/healthz/", False),
        ("/static/css/portal.css", False),
        ("/favicon.ico", False),
        ("/healthz-x", True),
        ("/healthzx/", True),
        ("/favicon.icoXYZ", True),
        ("/staticfiles/x", True),
    ],
)
def test_skipped_paths_match_whole_segments(client, path, logged):
    client.get(path)
    assert buffer.pending() == (1 if logged else 0)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("plain", "plain"),
        ("ไทย", "ไทย"),
        ("a\x00b", "a\\x00b"),
        ("\ud800", "\\ud800"),
        ("😀\udfff", "😀\\udfff"),
    ],
)
def test_storable_text_escapes_only_what_cannot_be_stored(text, stored):
    assert storable_text(text) == stored
    stored.encode("utf-8")


def test_storable_json_escapes_keys_and_keeps_numbers_readable():
    value = {"k\x00": ["\ud800", 1e20, 1.5, float("inf"), {"n": None}]}
    assert storable_json(value) == {
        "k\\x00": ["\\ud800", 10**20, 1.5, "inf", {"n": None}]
    }


def test_a_record_the_row_builder_cannot_read_is_set_aside_too():
    buffer.record("access", _access("/first"))
    # Not text where the user agent belongs: refused before the database sees it.
    buffer.record("access", _access("/odd", user_agent=["not", "text"]))
    buffer.record("access", _access("/last"))
    assert buffer.flush() == 3
    assert set(AccessLog.objects.values_list("path", flat=True)) == {"/first", "/last"}
    assert DeadLetter.objects.get().error.startswith("TypeError")
