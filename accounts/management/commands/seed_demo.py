"""Demo data for `make run`: one verified customer and one staff account per role. Idempotent."""

from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User

DEMO_PASSWORD = "onespace-demo-2026"


class Command(BaseCommand):
    help = "Create (or refresh) the demo accounts and print their logins."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        customer = self._user(
            "customer@demo.onespace.test", "สมชาย ใจดี", phone="+66812345678"
        )
        rows = [("customer", customer.email)]
        for role in roles.ALL:
            slug = role.lower().replace(" ", "-")
            staff = self._user(f"{slug}@demo.onespace.test", role, is_staff=True)
            staff.groups.set([Group.objects.get_or_create(name=role)[0]])
            rows.append((role, staff.email))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for label, email in rows:
            self.stdout.write(f"  {label:<18} {email}")

    def _user(self, email: str, name: str, **extra: Any) -> User:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "email_verified_at": timezone.now(), **extra},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user
