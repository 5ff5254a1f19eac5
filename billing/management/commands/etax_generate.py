from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.etax import generation
from billing.models import EtaxXml


class Command(BaseCommand):
    help = (
        "Make the e-Tax XML of issued documents that have none (--missing: issued before "
        "e-Tax was switched on) or whose XML failed (--failed: after fixing the cause) or was made "
        "unchecked (--unchecked: before ETDA's schemas were installed). "
        "Valid XML is kept; running it again changes nothing more. The PDF as issued is "
        "not replaced."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing", action="store_true", help="documents without their XML"
        )
        parser.add_argument(
            "--failed", action="store_true", help="documents whose XML failed"
        )
        parser.add_argument(
            "--unchecked",
            action="store_true",
            help="documents whose XML was made while ETDA's schemas were not installed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = options["missing"]
        redo = [
            status
            for status in (EtaxXml.Status.FAILED, EtaxXml.Status.UNCHECKED)
            if options[status.value]
        ]
        if not (missing or redo):
            raise CommandError("Give --missing, --failed, --unchecked or several.")
        made = still_failed = 0
        documents = generation.needing_xml(missing=missing, redo=redo)
        for document in documents.iterator():
            for record in generation.regenerate(document, redo=redo):
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
