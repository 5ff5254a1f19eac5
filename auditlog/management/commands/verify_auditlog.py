"""Walk the hash chains of the log tables and report changed, removed or inserted records."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auditlog import chain
from auditlog.models import AccessLog, NodeEvent, SecurityEvent

MODELS: dict[str, Any] = {
    "access": AccessLog,
    "security": SecurityEvent,
    "node": NodeEvent,
}


class Command(BaseCommand):
    help = "Verify the hash chains of the audit log tables (tamper evidence)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "tables", nargs="*", help="access, security, node (default: all)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["tables"] or list(MODELS)
        unknown = set(names) - set(MODELS)
        if unknown:
            raise CommandError(f"unknown table(s): {', '.join(sorted(unknown))}")
        broken = 0
        for name in names:
            model = MODELS[name]
            problems = 0
            for problem in chain.verify(model):
                problems += 1
                self.stdout.write(
                    f"{model._meta.db_table}: {problem.kind}: {problem.message}"
                )
            broken += problems
            if not problems:
                self.stdout.write(f"{model._meta.db_table}: chain intact")
        if broken:
            raise CommandError(f"{broken} problem(s) found in the audit log chains")
