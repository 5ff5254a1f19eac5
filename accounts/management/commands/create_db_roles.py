"""Create the PostgreSQL owner and runtime roles and hand the database to the owner (idempotent)."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from onespace import db_roles


class Command(BaseCommand):
    help = (
        "Create (or update) the owner role that runs migrations and owns every table, "
        "and the runtime role the application uses, which owns nothing. Run it as a "
        "PostgreSQL superuser (DATABASE_URL), then `migrate` as the owner. Passwords "
        "come from DATABASE_OWNER_PASSWORD and DATABASE_RUNTIME_PASSWORD when set."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("owner", help="owner role, e.g. onespace_owner")
        parser.add_argument("runtime", help="runtime role, e.g. onespace_app")
        parser.add_argument(
            "--createdb",
            action="store_true",
            help="let the owner create databases (a CI or test machine: the test suite "
            "creates its own database as the owner)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only.")
        owner, runtime = options["owner"], options["runtime"]
        if owner == runtime:
            raise CommandError("The owner and the runtime role must differ.")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolname FROM pg_roles WHERE rolname IN (%s, %s) AND rolsuper",
                [owner, runtime],
            )
            superusers = [name for (name,) in cursor.fetchall()]
        if superusers:
            # Altering it would take its superuser rights away; the point is two
            # ordinary roles.
            raise CommandError(
                f"{', '.join(superusers)} is a superuser: name two ordinary roles."
            )
        with transaction.atomic():
            db_roles.create_roles(
                connection,
                owner=owner,
                runtime=runtime,
                owner_password=os.environ.get("DATABASE_OWNER_PASSWORD", ""),
                runtime_password=os.environ.get("DATABASE_RUNTIME_PASSWORD", ""),
                createdb=options["createdb"],
            )
            db_roles.give_database_to_owner(
                connection, owner=owner, database=connection.settings_dict["NAME"]
            )
            db_roles.grant_runtime(connection, owner=owner, runtime=runtime)
        self.stdout.write(
            f"Roles ready: {owner} owns the database, {runtime} owns nothing. "
            f"Run `migrate` as {owner} and the application as {runtime}."
        )
