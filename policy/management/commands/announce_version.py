"""Queue the notice emails of a published version again; customers already told are skipped."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policy.models import NoticeVersion
from policy.tasks import announce_version


class Command(BaseCommand):
    help = "Email every active customer not yet told about a published notice version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("label", help="Label of the published version, e.g. 2")

    def handle(self, *args: Any, **options: Any) -> None:
        version = (
            NoticeVersion.objects.published().filter(label=options["label"]).first()
        )
        if version is None:
            raise CommandError(f"No published notice version {options['label']!r}.")
        announce_version.enqueue(version.pk)
        self.stdout.write(f"Notice emails for version {version.label} queued.")
