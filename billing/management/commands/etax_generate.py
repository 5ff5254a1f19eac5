from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.etax import generation


class Command(BaseCommand):
    help = (
        "Make the e-Tax XML of issued documents that have none (--missing: issued before "
        "e-Tax was switched on) or whose XML failed (--failed: after fixing the cause). "
        "Valid XML is kept; running it again changes nothing more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing", action="store_true", help="documents without their XML"
        )
        parser.add_argument(
            "--failed", action="store_true", help="documents whose XML failed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        missing, failed = options["missing"], options["failed"]
        if not (missing or failed):
            raise CommandError("Give --missing, --failed or both.")
        made = still_failed = 0
        documents = generation.needing_xml(missing=missing, failed=failed)
        for document in documents.iterator():
            for record in generation.regenerate(document, failed=failed):
                if record.is_failed:
                    still_failed += 1
                    self.stderr.write(
                        f"{record.number} ({record.type_code}) failed:\n{record.error}"
                    )
                else:
                    made += 1
                    self.stdout.write(
                        f"{record.number} ({record.type_code}): {record.status}"
                        + (", signed" if record.signed else "")
                    )
        self.stdout.write(f"e-Tax XML made: {made}; failed: {still_failed}.")
