"""Retention purge: due account erasures, expired export files, then every category's own period."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from policy import services
from policy.registry import registry


class Command(BaseCommand):
    help = "Delete or anonymise personal data whose retention period has ended."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        # PDPA s.33: accounts whose cool-off has ended are erased here too, so erasure
        # never waits for a task worker (the 30 days are kept even if none runs).
        erased = services.erase_due_accounts(now)
        if erased:
            self.stdout.write(f"accounts erased: {erased}")
        files = services.purge_expired_exports(now)
        if files:
            self.stdout.write(f"expired data exports deleted: {files}")
        for category in registry:
            count = category.purge_expired(now)
            if count:
                self.stdout.write(f"{category.key}: {count} purged")
        self.stdout.write("Retention purge finished.")
