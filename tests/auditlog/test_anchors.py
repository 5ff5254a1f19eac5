"""Chain heads anchored outside the database: a cut tail, a forged checkpoint or a rewritten
chain is reported by verify_auditlog, and the daily maintenance emails the auditors."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from auditlog import anchors, buffer, chain, services
from auditlog.models import AccessLog, PurgeCheckpoint
from policy.tasks import run_daily_maintenance
from tests import owner

pytestmark = pytest.mark.django_db


def _log(n: int) -> None:
    for i in range(n):
        buffer.record(
            "access",
            {
                "occurred_at": timezone.now(),
                "ip": "192.0.2.1",
                "user_agent": "test",
                "method": "GET",
                "path": f"/page/{i}",
                "status": 200,
                "duration_ms": 3,
            },
        )
    buffer.flush()


def _as_attacker(sql: str, params: list | None = None) -> None:
    """What only the owner role can do on PostgreSQL (triggers off), anyone on SQLite."""
    if connection.vendor == "postgresql":
        owner.as_owner("ALTER TABLE auditlog_accesslog DISABLE TRIGGER USER")
        owner.as_owner(sql, params)
        owner.as_owner("ALTER TABLE auditlog_accesslog ENABLE TRIGGER USER")
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


def _verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("verify_auditlog", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def _ids() -> list[int]:
    return list(AccessLog.objects.order_by("id").values_list("id", flat=True))


def test_anchor_is_a_signed_file_naming_each_chain_head(settings):
    _log(3)
    path = services.anchor_logs()
    assert path.parent == settings.AUDITLOG_ANCHOR_DIR
    data = json.loads(path.read_text())
    head = AccessLog.objects.order_by("-id").first()
    assert {
        "table": "auditlog_accesslog",
        "last_id": head.pk,
        "hash": head.hash,
        "row_at": head.occurred_at.isoformat(),
    } in data["chains"]
    assert len(data["signature"]) == 64
    ok, out = _verify()
    assert ok
    assert "Checked against 1 anchor(s)." in out
    # A changed anchor (or one signed with another key) is itself reported.
    data["chains"][0]["last_id"] += 1
    path.write_text(json.dumps(data))
    ok, out = _verify()
    assert not ok
    assert f"anchor file {path.name}: its signature does not match" in out


def test_verify_reports_a_tail_cut_after_the_anchor():
    _log(5)
    services.anchor_logs()
    ids = _ids()
    _as_attacker("DELETE FROM auditlog_accesslog WHERE id >= %s", [ids[3]])
    # The chain that is left still links up: only the anchor shows what went.
    assert list(chain.verify(AccessLog)) == []
    ok, out = _verify()
    assert not ok
    assert f"record {ids[4]}" in out
    assert "cut from the end of the chain" in out


def test_verify_reports_a_forged_purge_checkpoint():
    _log(5)
    services.anchor_logs()
    _log(3)
    services.anchor_logs()
    ids = _ids()
    hashes = dict(AccessLog.objects.values_list("id", "hash"))
    # Recent rows removed from the front and hidden behind a checkpoint, as a purge
    # would leave it: the chain from the checkpoint verifies.
    _as_attacker("DELETE FROM auditlog_accesslog WHERE id <= %s", [ids[5]])
    _as_attacker(
        'INSERT INTO auditlog_purgecheckpoint ("table", last_id, last_hash, '
        "purged_count, purged_at) VALUES ('auditlog_accesslog', %s, %s, 6, %s)",
        [ids[5], hashes[ids[5]], timezone.now()],
    )
    assert list(chain.verify(AccessLog)) == []
    ok, out = _verify()
    assert not ok
    assert f"record {ids[4]}" in out
    assert "removed before its retention ended" in out


def test_verify_reports_a_chain_rewritten_with_fresh_hashes():
    _log(4)
    services.anchor_logs()
    rows = list(AccessLog.objects.order_by("id"))
    # Change an early row and recompute every hash after it: the chain verifies.
    prev = rows[0].hash
    for index, row in enumerate(rows[1:], start=1):
        values = [getattr(row, name) for name in AccessLog.chain_fields]
        if index == 1:
            values[AccessLog.chain_fields.index("path")] = "/forged"
        new_hash = chain.row_hash(
            prev, values, added_last=bool(AccessLog.chain_added_field)
        )
        _as_attacker(
            "UPDATE auditlog_accesslog SET path = %s, prev_hash = %s, hash = %s "
            "WHERE id = %s",
            [values[AccessLog.chain_fields.index("path")], prev, new_hash, row.pk],
        )
        prev = new_hash
    assert list(chain.verify(AccessLog)) == []
    ok, out = _verify()
    assert not ok
    assert f"record {rows[-1].pk}: its hash differs from the anchor" in out


def test_a_lawful_purge_passes_the_anchors(settings):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        _log(3)
        services.anchor_logs()
    _log(2)
    services.anchor_logs()
    assert services.purge_log(AccessLog, time_field="occurred_at") == 3
    assert PurgeCheckpoint.objects.exists()
    ok, out = _verify()
    assert ok, out
    assert "auditlog_accesslog: chain intact" in out
    assert "Checked against 2 anchor(s)." in out


def test_daily_maintenance_anchors_the_chains_and_emails_the_auditors_on_failure(
    auditor, settings
):
    _log(3)
    counts = run_daily_maintenance.call()
    assert counts["auditlog-chain-problems"] == 0
    assert len(list(settings.AUDITLOG_ANCHOR_DIR.glob("anchor-*.json"))) == 1
    # The day's anchor also goes to the Security auditors, outside the database.
    [anchor_mail] = mail.outbox
    assert anchor_mail.to == [auditor.email]
    assert "auditlog_accesslog" in anchor_mail.body
    mail.outbox.clear()

    ids = _ids()
    _as_attacker("DELETE FROM auditlog_accesslog WHERE id = %s", [ids[-1]])
    counts = run_daily_maintenance.call()
    assert counts["auditlog-chain-problems"] == 1
    # In the auditor's language (Thai by default), before today's anchor.
    alert, anchor_mail = mail.outbox
    assert alert.subject == "บันทึกการตรวจสอบไม่ผ่านการตรวจสอบ: พบปัญหา 1 รายการ"
    assert alert.to == [auditor.email]
    assert f"record {ids[-1]}" in alert.body


def test_anchors_are_not_emailed_when_switched_off(auditor, settings):
    settings.AUDITLOG_ANCHOR_EMAIL = False
    services.anchor_logs()
    assert mail.outbox == []
    assert anchors.load_anchors()[0]
