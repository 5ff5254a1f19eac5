"""The two PostgreSQL roles: an owner that migrates and owns every table, a runtime role that owns nothing.

The application (``DATABASE_URL``) runs as the runtime role. Owning no table, it cannot
``ALTER`` one, disable its triggers or ``TRUNCATE`` it, so the append-only guards of the
log, acceptance and tax tables hold against the application itself (issue 11; DESIGN.md
"Logs are append-only, against the application itself"). The runtime role gets, through
the owner's default privileges, SELECT/INSERT/UPDATE/DELETE on each new table, USAGE on its
sequences and EXECUTE on the owner's functions (the retention purges); a model that needs
less says so in ``runtime_privileges`` and ``restrict_runtime`` takes the rest back after
every ``migrate``. The triggers stay the authority: they refuse a non-owner whatever its
grants say.

Used by ``manage.py create_db_roles`` (once, as a superuser), by ``migrate`` (post_migrate)
and by the test suite, which creates and flushes its database as the owner and runs every
test as the runtime role.
"""

from typing import Any

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
ALL_TABLE_PRIVILEGES = (*TABLE_PRIVILEGES, "TRUNCATE", "REFERENCES", "TRIGGER")


def _quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(name)


def create_roles(
    connection: BaseDatabaseWrapper,
    *,
    owner: str,
    runtime: str,
    owner_password: str = "",
    runtime_password: str = "",
    createdb: bool = False,
) -> None:
    """Create the owner and runtime login roles, or bring existing ones to these attributes.

    Neither is a superuser, creates roles or bypasses row security; only a test machine's
    owner may create databases (``createdb``), for the test suite's own database.
    """
    with connection.cursor() as cursor:
        for name, password, extra in (
            (owner, owner_password, "CREATEDB" if createdb else "NOCREATEDB"),
            (runtime, runtime_password, "NOCREATEDB"),
        ):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            options = (
                f"LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS {extra}"
            )
            if password:
                cursor.execute(
                    f"{verb} ROLE {_quote(connection, name)} {options} PASSWORD %s",
                    [password],
                )
            else:
                cursor.execute(f"{verb} ROLE {_quote(connection, name)} {options}")


def give_database_to_owner(
    connection: BaseDatabaseWrapper, *, owner: str, database: str
) -> None:
    """Make ``owner`` own the database, its schema and every table, sequence and function in it.

    Nobody else may create objects in the schema: a migration run by another role fails.
    """
    q = _quote(connection, owner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(f"ALTER DATABASE {_quote(connection, database)} OWNER TO {q}")
        cursor.execute(f"ALTER SCHEMA {_quote(connection, schema)} OWNER TO {q}")
        cursor.execute(
            f"REVOKE CREATE ON SCHEMA {_quote(connection, schema)} FROM PUBLIC"
        )
        # Objects made earlier by another role (a single-role deployment) change hands.
        cursor.execute(
            """
            SELECT format('ALTER %%s %%I.%%I OWNER TO %%I',
                          CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                          n.nspname, c.relname, %s)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'S')
              AND pg_get_userbyid(c.relowner) <> %s
              AND NOT (c.relkind = 'S' AND EXISTS (
                  SELECT 1 FROM pg_depend d
                  WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
            UNION ALL
            SELECT format('ALTER FUNCTION %%s OWNER TO %%I', p.oid::regprocedure, %s)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = %s AND pg_get_userbyid(p.proowner) <> %s
            """,
            [owner, schema, owner, owner, schema, owner],
        )
        for (statement,) in cursor.fetchall():
            cursor.execute(statement)


def grant_runtime(connection: BaseDatabaseWrapper, *, owner: str, runtime: str) -> None:
    """Give ``runtime`` what the application needs on the owner's objects, now and in future.

    Run as the owner or a superuser. Idempotent; ends with ``restrict_runtime``.
    """
    o, r = _quote(connection, owner), _quote(connection, runtime)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        s = _quote(connection, schema)
        tables = ", ".join(TABLE_PRIVILEGES)
        for statement in (
            f"GRANT CONNECT, TEMPORARY ON DATABASE {_quote(connection, database)} TO {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            # Tables and sequences the owner creates later (every migration).
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT {tables} ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
            # The owner's functions (the retention purges run as the owner) are for the
            # runtime role only, not for every role that can connect.
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT EXECUTE ON FUNCTIONS TO {r}",
            # What exists already.
            f"GRANT {tables} ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {s} TO {r}",
        ):
            cursor.execute(statement)
    restrict_runtime(connection)


def restrict_runtime(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Take back from every role but the owner what append-only tables do not need.

    A model lists what the application may do with its table in ``runtime_privileges``
    (e.g. ``("SELECT", "INSERT")`` for a log); everything else is revoked from PUBLIC and
    from every role holding a grant, whoever granted it. Runs after every ``migrate``.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in apps.get_models():
            allowed = getattr(model, "runtime_privileges", None)
            if allowed is None:
                continue
            table = model._meta.db_table
            # A partitioned table's partitions (auditlog.partitions) are reached only
            # through it: nobody but the owner holds any privilege on them.
            cursor.execute(
                """
                SELECT format('REVOKE ALL ON %%s FROM %%s', c.oid::regclass,
                              string_agg(DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                                  ELSE quote_ident(pg_get_userbyid(acl.grantee)) END, ', '))
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
                     aclexplode(c.relacl) acl
                WHERE i.inhparent = to_regclass(%s) AND acl.grantee <> c.relowner
                GROUP BY c.oid
                """,
                [table],
            )
            for (statement,) in cursor.fetchall():
                cursor.execute(statement)
            cursor.execute(
                """
                SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                                     ELSE quote_ident(pg_get_userbyid(acl.grantee)) END
                FROM pg_class c, aclexplode(c.relacl) acl
                WHERE c.oid = to_regclass(%s) AND acl.grantee <> c.relowner
                """,
                [table],
            )
            grantees = [row[0] for row in cursor.fetchall()]
            forbidden = [p for p in ALL_TABLE_PRIVILEGES if p not in allowed]
            if not grantees or not forbidden:
                continue
            names = ", ".join(grantees)
            cursor.execute(
                f"REVOKE {', '.join(forbidden)} ON {_quote(connection, table)} FROM {names}"
            )
            if "INSERT" not in allowed:
                # Nobody but the owner draws ids for a table it may not insert into.
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, %s)",
                    [table, model._meta.pk.column],
                )
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute(f"REVOKE ALL ON SEQUENCE {sequence} FROM {names}")


def restrict_runtime_after_migrate(
    sender: Any, using: str = "default", **kwargs: Any
) -> None:
    """post_migrate: re-apply ``restrict_runtime`` (migrate runs as the owner)."""
    from django.db import connections

    restrict_runtime(connections[using])
