"""Demo data for `make run`: one verified customer and one staff account per role. Idempotent."""

import time
from base64 import b32encode
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import User

DEMO_PASSWORD = "onespace-demo-2026"
# One fixed authenticator secret for every demo staff account, so a demo login needs
# nothing but this printout. Never use it outside the demo.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"


def demo_code(key_hex: str = DEMO_TOTP_KEY) -> str:
    """The current 6-digit code of the demo authenticator."""
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = time.time()
    return f"{totp.token():06d}"


class Command(BaseCommand):
    help = "Create (or refresh) the demo accounts and print their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--code",
            action="store_true",
            help="Only print the current second-factor code of the demo staff accounts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["code"]:
            self.stdout.write(demo_code())
            return
        rows = self._seed()
        secret = b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode().rstrip("=")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for label, email in rows:
            self.stdout.write(f"  {label:<18} {email}")
        self.stdout.write(
            "Staff admin (/admin/) also asks for a code from an authenticator app:\n"
            f"  secret (base32)    {secret}\n"
            f"  otpauth URI        otpauth://totp/OneSpace:demo-staff?secret={secret}&issuer=OneSpace&digits=6\n"
            "  or print the current code with: .venv/bin/python manage.py seed_demo --code"
        )
        # --- policy: the demo customer has accepted the notice in force (as at sign-up).
        from policy.services import accept_notice_in_force

        accept_notice_in_force(
            User.objects.get(email="customer@demo.onespace.test"), source="signup"
        )

    @transaction.atomic
    def _seed(self) -> list[tuple[str, str]]:
        customer = self._user(
            "customer@demo.onespace.test", "สมชาย ใจดี", phone="+66812345678"
        )
        rows = [("customer", customer.email)]
        for role in roles.ALL:
            slug = role.lower().replace(" ", "-")
            staff = self._user(f"{slug}@demo.onespace.test", role, is_staff=True)
            staff.groups.set([Group.objects.get_or_create(name=role)[0]])
            self._authenticator(staff)
            rows.append((role, staff.email))
        admin = self._user(
            "admin@demo.onespace.test",
            "Administrator",
            is_staff=True,
            is_superuser=True,
        )
        self._authenticator(admin)
        rows.append(("administrator", admin.email))
        return rows

    def _user(self, email: str, name: str, **extra: Any) -> User:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "email_verified_at": timezone.now(), **extra},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _authenticator(self, user: User) -> None:
        TOTPDevice.objects.update_or_create(
            user=user,
            name="demo",
            defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
        )
