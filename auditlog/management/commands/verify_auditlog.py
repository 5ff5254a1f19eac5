"""Walk the hash chains of the log tables, hold them against the anchors, report what is wrong."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auditlog import anchors, services


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the audit log tables (changed, removed or inserted "
        "records) against the signed anchors in AUDITLOG_ANCHOR_DIR (a cut tail, a "
        "forged purge checkpoint)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "tables", nargs="*", help="access, security, node (default: all)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["tables"] or list(anchors.CHAINS)
        unknown = set(names) - set(anchors.CHAINS)
        if unknown:
            raise CommandError(f"unknown table(s): {', '.join(sorted(unknown))}")
        problems = services.verify_logs(names)
        for table, problem in problems:
            self.stdout.write(f"{table}: {problem.kind}: {problem.message}")
        broken = {table for table, _problem in problems}
        for name in names:
            table = anchors.CHAINS[name][0]._meta.db_table
            if table not in broken:
                self.stdout.write(f"{table}: chain intact")
        known, _bad = anchors.load_anchors()
        self.stdout.write(f"Checked against {len(known)} anchor(s).")
        if problems:
            raise CommandError(
                f"{len(problems)} problem(s) found in the audit log chains"
            )
