import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.etax import export


class Command(BaseCommand):
    help = (
        "Bundle a month's e-Tax XML and a summary CSV into a zip: etax_export YYYY-MM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="the month, as YYYY-MM (Common Era)")
        parser.add_argument(
            "--output", "-o", help="where to write the zip (default etax-YYYY-MM.zip)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        match = re.fullmatch(r"(\d{4})-(\d{2})", options["month"])
        if not match or not 1 <= int(match[2]) <= 12:
            raise CommandError("Give the month as YYYY-MM, for example 2026-11.")
        year, month = int(match[1]), int(match[2])
        target = Path(options["output"] or f"etax-{year:04d}-{month:02d}.zip")
        target.write_bytes(export.month(year, month))
        self.stdout.write(f"Wrote {target}")
