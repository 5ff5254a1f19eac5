"""What only the owner role can do, for tests on PostgreSQL: tamper as a DBA would, let time pass.

The test suite runs as the runtime role (DATABASE_OWNER_URL set, as CI does), which can
neither change a guarded row nor disable a trigger. ``tests_as_owner()``, a SECURITY
DEFINER function the suite creates in its own test database only (never a migration),
runs one statement as the owner inside the test's transaction, with the owner's purge
flag on: the power an attacker who holds the owner's password has.
"""

from datetime import timedelta
from typing import Any

from django.db import connection

HELPER = """
CREATE OR REPLACE FUNCTION tests_as_owner(statement text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    PERFORM set_config('onespace.purge', 'on', true);
    EXECUTE statement;
    PERFORM set_config('onespace.purge', 'off', true);
END;
$$;
"""


def install_helper() -> None:
    """Create ``tests_as_owner()`` in the test database (run as the owner)."""
    with connection.cursor() as cursor:
        cursor.execute(HELPER)


def as_owner(sql: str, params: list[Any] | None = None) -> None:
    """Run one statement as the owner role, inside the test's transaction (PostgreSQL)."""
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode() if params else sql
        cursor.execute("SELECT tests_as_owner(%s)", [statement])


def let_cool_off_pass(period: timedelta = timedelta(days=3, minutes=1)) -> None:
    """The database's clock cannot travel: move the pending closures back by ``period`` instead.

    PostgreSQL counts the cool-off from ``recorded_at``, its own clock (policy migration
    0005); time_machine moves only Python's. SQLite has no such check.
    """
    if connection.vendor == "postgresql":
        as_owner(
            "UPDATE policy_erasurerecord SET recorded_at = recorded_at - %s "
            "WHERE cancelled_at IS NULL AND erased_at IS NULL",
            [period],
        )


def age_logs(period: timedelta) -> None:
    """Move every log row back by ``period``: the database's clock cannot travel, so the
    rows age instead (their hashes no longer match: a test of purging, not of the chain)."""
    if connection.vendor != "postgresql":
        return
    as_owner("SET CONSTRAINTS ALL IMMEDIATE")
    for table, column in (
        ("auditlog_accesslog", "occurred_at"),
        ("auditlog_securityevent", "occurred_at"),
        ("auditlog_nodeevent", "received_at"),
    ):
        as_owner(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        as_owner(f"UPDATE {table} SET {column} = {column} - %s", [period])
        as_owner(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def closure_due(customer: Any) -> None:
    """Schedule ``customer``'s closure and let its cool-off pass: erasure may now run."""
    from policy import services

    services.request_closure(customer)
    let_cool_off_pass()
