"""Queue the daily maintenance task (retention purge, password reminders) once; idempotent."""

from typing import Any

from django.core.management.base import BaseCommand

from policy import services


class Command(BaseCommand):
    help = (
        "Queue the daily maintenance task (retention purge and password reminders) "
        "unless it is already queued. Safe to run at every start."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not services.can_schedule_maintenance():
            self.stdout.write(
                "The task backend is not the database queue: run purge_expired and "
                "send_password_reminders daily from a scheduler instead."
            )
        elif services.schedule_daily_maintenance():
            self.stdout.write("Daily maintenance queued to run now, then daily.")
        else:
            self.stdout.write("Daily maintenance is already queued.")
