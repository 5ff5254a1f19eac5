"""Retention purge: every registered category drops what has outlived its retention period."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from policy.registry import registry


class Command(BaseCommand):
    help = "Delete or anonymise personal data whose retention period has ended."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        for category in registry:
            count = category.purge_expired(now)
            if count:
                self.stdout.write(f"{category.key}: {count} purged")
        self.stdout.write("Retention purge finished.")
