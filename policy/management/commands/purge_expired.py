"""Retention purge: due account erasures, expired export files, then every category's own period."""

from typing import Any

from django.core.management.base import BaseCommand

from policy import services

LABELS = {"accounts": "accounts erased", "exports": "expired data exports deleted"}


class Command(BaseCommand):
    help = "Delete or anonymise personal data whose retention period has ended."

    def handle(self, *args: Any, **options: Any) -> None:
        for step, count in services.purge_expired().items():
            if count:
                if step in LABELS:
                    self.stdout.write(f"{LABELS[step]}: {count}")
                elif step.startswith("held:"):
                    key = step.removeprefix("held:")
                    self.stdout.write(
                        f"{key}: {count} kept past retention by a legal hold"
                    )
                else:
                    self.stdout.write(f"{step}: {count} purged")
        self.stdout.write("Retention purge finished.")
