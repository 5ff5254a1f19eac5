"""The database keeps the logs honest against the application's own role (issue 11).

Every test runs as the runtime role (the ``runtime_role`` fixture): DATABASE_URL's role
when DATABASE_OWNER_URL is set (CI), else a role made inside the test's transaction.
What the owner does (``tests.owner.as_owner``) stands for a DBA or an attacker who holds
the owner's password.
"""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from auditlog import buffer, chain, services
from auditlog.models import AccessLog, PurgeCheckpoint
from billing import services as billing
from billing.models import Document
from policy import services as policy
from policy.models import Acceptance, ClosureNotDue, ErasureRecord
from tests import owner
from tests.billing.conftest import HOSTING
from tests.factories import BillingProfileFactory, version_one

pytestmark = pytest.mark.django_db

# Tables whose rows are proof (logs, checkpoints, acceptances, consents, notices,
# erasure records, tax documents): nobody but the owner empties them.
APPEND_ONLY = (
    "auditlog_accesslog",
    "auditlog_securityevent",
    "auditlog_nodeevent",
    "auditlog_purgecheckpoint",
    "policy_noticeversion",
    "policy_acceptance",
    "policy_consentrecord",
    "policy_erasurerecord",
    "policy_retentionsetting",
    "billing_document",
    "billing_documentline",
)


@pytest.fixture(autouse=True)
def _empty_buffer():
    """Records left by earlier tests (any app's requests) are not this test's."""
    buffer.clear()
    yield
    buffer.clear()


def _refusal(sql: str, params: list | None = None) -> str:
    """The database's error for ``sql``, or "" if it was let through."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return str(error)
    return ""


def _log(n: int, **values) -> None:
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
                **values,
            },
        )
    buffer.flush()


def _accept(customer) -> Acceptance:
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
    return policy.accept_notice(
        customer, version=version_one(), source="gate", request=request
    )


@pytest.fixture
def issued(alice):
    profile = BillingProfileFactory(customer=alice)
    return billing.create_billing_note(profile, lines=HOSTING)


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_runtime_role_cannot_truncate_disable_triggers_or_alter(runtime_role, table):
    assert "permission denied" in _refusal(f"TRUNCATE {table} CASCADE")
    assert "must be owner" in _refusal(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    assert "must be owner" in _refusal(f"ALTER TABLE {table} ADD COLUMN x integer")
    assert "must be owner" in _refusal(
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"
    )


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_truncate_trigger_refuses_a_non_owner_even_with_the_privilege(
    runtime_role, table
):
    # A careless GRANT does not open the table: the statement-level trigger refuses.
    owner.as_owner(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{runtime_role}"')
    assert "only the owner role" in _refusal(f"TRUNCATE {table} CASCADE")


def test_old_purge_flags_open_no_guard(runtime_role, issued, alice):
    _log(1)
    logged = AccessLog.objects.count()
    acceptance = _accept(alice)
    # Even given the privileges (a careless GRANT), the flags change nothing.
    owner.as_owner(
        f'GRANT UPDATE, DELETE ON auditlog_accesslog, policy_acceptance TO "{runtime_role}"'
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL onespace.purge = 'on'")
        cursor.execute("SET LOCAL billing.retention_purge = 'on'")
    assert "append-only" in _refusal("DELETE FROM auditlog_accesslog")
    assert "cannot be deleted" in _refusal(
        "DELETE FROM billing_document WHERE id = %s", [issued.pk]
    )
    assert "cannot be changed" in _refusal(
        "DELETE FROM billing_documentline WHERE document_id = %s", [issued.pk]
    )
    assert "append-only" in _refusal(
        "UPDATE policy_acceptance SET customer_id = NULL, ip_address = NULL "
        "WHERE id = %s",
        [acceptance.pk],
    )
    assert AccessLog.objects.count() == logged
    assert Document.objects.filter(pk=issued.pk).exists()
    assert Acceptance.objects.get(pk=acceptance.pk).customer_id == alice.pk


def test_runtime_role_cannot_write_a_purge_checkpoint(runtime_role):
    insert = (
        'INSERT INTO auditlog_purgecheckpoint ("table", last_id, last_hash, '
        "purged_count, purged_at) VALUES ('auditlog_accesslog', 1, %s, 1, now())"
    )
    assert "permission denied" in _refusal(insert, ["0" * 64])
    owner.as_owner(f'GRANT INSERT ON auditlog_purgecheckpoint TO "{runtime_role}"')
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL onespace.purge = 'on'")
    assert "only by the retention purge" in _refusal(insert, ["0" * 64])
    assert not PurgeCheckpoint.objects.exists()


def test_runtime_role_cannot_shorten_a_retention_or_backdate_a_closure(
    runtime_role, alice, bob
):
    assert "permission denied" in _refusal(
        "UPDATE policy_retentionsetting SET value = '1'"
    )
    record = policy.request_closure(alice)
    assert "can only be cancelled or completed" in _refusal(
        "UPDATE policy_erasurerecord SET recorded_at = recorded_at - interval '9 days'"
    )
    assert _refusal("DELETE FROM policy_erasurerecord")
    # The request's time comes from the application; the database stamps its own.
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        old = policy.request_closure(bob)
    old.refresh_from_db()
    assert old.requested_at < timezone.now() - timedelta(days=29)
    assert old.recorded_at > timezone.now() - timedelta(minutes=5)
    assert ErasureRecord.objects.get(pk=record.pk).cancelled_at is None


def test_purge_function_removes_exactly_the_expired_prefix(runtime_role):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        _log(3)
    with time_machine.travel(timezone.now() - timedelta(days=364)):
        _log(1)
    _log(1)
    # An old date on a new row does not let the purge past the rows before it.
    with time_machine.travel(timezone.now() - timedelta(days=500)):
        _log(1)
    ids = list(AccessLog.objects.order_by("id").values_list("id", flat=True))
    # The application's clock does not matter: the database counts with its own.
    future = timezone.now() + timedelta(days=3650)
    assert services.purge_log(AccessLog, time_field="occurred_at", now=future) == 3
    assert (
        list(AccessLog.objects.order_by("id").values_list("id", flat=True)) == ids[3:]
    )
    checkpoint = PurgeCheckpoint.objects.get()
    assert (checkpoint.last_id, checkpoint.purged_count) == (ids[2], 3)
    assert list(chain.verify(AccessLog)) == []


def test_purge_function_never_keeps_traffic_data_under_90_days(runtime_role):
    owner.as_owner(
        "UPDATE policy_retentionsetting SET value = '1' "
        "WHERE key = 'AUDITLOG_RETENTION_DAYS'"
    )
    with time_machine.travel(timezone.now() - timedelta(days=91)):
        _log(2)
    with time_machine.travel(timezone.now() - timedelta(days=89)):
        _log(1)
    assert services.purge_log(AccessLog, time_field="occurred_at") == 2
    assert AccessLog.objects.count() == 1


def test_acceptances_are_detached_only_once_the_closure_is_due(runtime_role, alice):
    _accept(alice)
    with pytest.raises(ClosureNotDue):
        Acceptance.objects.pseudonymise(alice.pk)
    policy.request_closure(alice)
    with pytest.raises(ClosureNotDue):
        Acceptance.objects.pseudonymise(alice.pk)
    owner.let_cool_off_pass(timedelta(days=3, minutes=1))
    assert Acceptance.objects.pseudonymise(alice.pk) == 1
    row = Acceptance.objects.get()
    assert (row.customer_id, row.ip_address, row.user_agent) == (None, None, "")


def test_erasure_waits_for_the_databases_clock(runtime_role, alice):
    _accept(alice)
    record = policy.request_closure(alice)
    # The application's clock says the cool-off is over; the database's does not.
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert policy.erase_due_accounts() == 0
    record.refresh_from_db()
    assert record.erased_at is None
    assert Acceptance.objects.get().customer_id == alice.pk
    owner.let_cool_off_pass(timedelta(days=4))
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert policy.erase_due_accounts() == 1


def test_published_notice_version_stays_for_the_runtime_role(runtime_role):
    version = version_one()
    assert _refusal("DELETE FROM policy_noticeversion WHERE id = %s", [version.pk])


def test_create_db_roles_gives_the_tables_to_an_owner_and_the_app_a_role_that_owns_nothing(
    postgres,
):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        superuser, is_superuser = cursor.fetchone()
        if not is_superuser:
            pytest.skip("needs a superuser; CI creates its roles with this command")
    with pytest.raises(CommandError, match="is a superuser"):
        call_command("create_db_roles", superuser, "anyone", stdout=StringIO())
    name = connection.settings_dict["NAME"]
    owner_role, runtime = f"{name}_cmd_owner"[:63], f"{name}_cmd_app"[:63]
    out = StringIO()
    call_command("create_db_roles", owner_role, runtime, stdout=out)
    call_command("create_db_roles", owner_role, runtime, stdout=out)  # idempotent
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname IN (%s, %s) ORDER BY rolname = %s",
            [owner_role, runtime, runtime],
        )
        assert cursor.fetchall() == [
            (owner_role, False, False, False),
            (runtime, False, False, False),
        ]
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
            "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'"
        )
        assert cursor.fetchall() == [(owner_role,)]
        privileges = {}
        for table in (
            "auditlog_accesslog",
            "auditlog_purgecheckpoint",
            "billing_document",
        ):
            privileges[table] = {
                p
                for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
                if _has(cursor, runtime, table, p)
            }
        cursor.execute(
            "SELECT has_function_privilege(%s, 'auditlog_purge(text)', 'EXECUTE')",
            [runtime],
        )
        assert cursor.fetchone()[0]
    assert privileges == {
        "auditlog_accesslog": {"SELECT", "INSERT"},
        "auditlog_purgecheckpoint": {"SELECT"},
        "billing_document": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    }
    assert "Run `migrate` as" in out.getvalue()


def _has(cursor, role: str, table: str, privilege: str) -> bool:
    cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
    return cursor.fetchone()[0]
