"""Partition the audit log tables by month, copying their rows in batches while the portal runs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from auditlog import partitions


class Command(BaseCommand):
    help = (
        "Turn the unpartitioned audit log tables (a database made before issue 15) into "
        "tables partitioned by month, copying the rows in batches of short transactions "
        "while the portal keeps writing; writers wait only for the final swap. Run as the "
        "owner role (DATABASE_URL=$DATABASE_OWNER_URL). Resumable. The old table is kept "
        "as <table>_unpartitioned until --drop-old. Also creates the coming months' "
        "partitions, as the daily maintenance does (for cron without a task worker)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "tables", nargs="*", help="access, security, node (default: all)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=10_000, help="rows per transaction"
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="seconds to sleep between batches (spare a busy database)",
        )
        parser.add_argument(
            "--drop-old",
            action="store_true",
            help="drop the <table>_unpartitioned an earlier run kept",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "partition_logs needs PostgreSQL (SQLite is unpartitioned)"
            )
        names = options["tables"] or list(partitions.NAMES)
        unknown = set(names) - set(partitions.NAMES)
        if unknown:
            raise CommandError(f"unknown table(s): {', '.join(sorted(unknown))}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        for name in names:
            table = partitions.NAMES[name]
            if partitions.is_partitioned(table):
                self.stdout.write(f"{table}: partitioned")
            else:

                def progress(copied: int, table: str = table) -> None:
                    self.stdout.write(f"{table}: {copied} rows copied")

                copied = partitions.partition_table(
                    table,
                    batch_size=options["batch_size"],
                    pause=options["pause"],
                    progress=progress if options["verbosity"] > 1 else None,
                )
                self.stdout.write(
                    f"{table}: partitioned by month ({copied} rows); the old table is "
                    f"{partitions.old_name(table)}"
                )
            if options["drop_old"] and partitions.drop_old(table):
                self.stdout.write(f"{partitions.old_name(table)}: dropped")
        # What the daily maintenance does: this month and the coming ones exist.
        for table, created in partitions.ensure_partitions().items():
            if created:
                self.stdout.write(f"{table}: {created} month(s) created ahead")
