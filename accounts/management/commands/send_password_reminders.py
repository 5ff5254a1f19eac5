"""Email each account whose password expires within 14 days, once (run daily, e.g. from cron)."""

from typing import Any

from django.core.management.base import BaseCommand

from accounts import services


class Command(BaseCommand):
    help = (
        "Remind account holders whose password expires soon (policy 1.1). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.send_password_reminders()
        self.stdout.write(f"{count} reminder(s) queued.")
