"""The accounts app's verbs: sign up, verify an email address, update a profile, remind."""

import logging
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts import tasks
from accounts.forms import ProfileForm, SignupForm
from accounts.models import ServiceToken, User
from accounts.tokens import read_email_token

logger = logging.getLogger(__name__)


class InvalidEmailLink(Exception):
    """The verification link is expired, tampered with, or already superseded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "expired", "invalid" or "taken"


def signup_form_class() -> type[SignupForm]:
    """The sign-up form in use: ``settings.SIGNUP_FORM_CLASS`` (a SignupForm subclass)."""
    return import_string(settings.SIGNUP_FORM_CLASS)


@transaction.atomic
def sign_up(form: SignupForm, *, request: HttpRequest) -> User:
    """Create an unverified account from a valid form and send the verification link.

    ``form.on_signup`` runs in the same transaction: if it raises, no account exists.
    """
    user = User.objects.create_user(**form.user_fields())
    form.on_signup(request, user)
    user_id = user.pk
    transaction.on_commit(lambda: tasks.send_verification_email.enqueue(user_id))
    logger.info("account %s signed up", user_id)
    return user


def send_verification(user: User) -> None:
    """Send (again) the link that verifies ``user``'s current email address."""
    user_id = user.pk
    transaction.on_commit(lambda: tasks.send_verification_email.enqueue(user_id))


@transaction.atomic
def verify_email(token: str) -> User:
    """Apply a verification link: mark the address verified, or switch to the new address.

    Raises InvalidEmailLink when the link is expired, tampered with, no longer matches the
    account's address, or the new address has meanwhile been taken by another account.
    """
    try:
        claim = read_email_token(token)
    except signing.SignatureExpired:
        raise InvalidEmailLink("expired") from None
    except signing.BadSignature:
        raise InvalidEmailLink("invalid") from None
    user = User.objects.select_for_update().filter(pk=claim.user_id).first()
    if user is None or user.email != claim.current_email:
        raise InvalidEmailLink("invalid")
    if claim.email != user.email:
        # A changed address replaces the old one only now that it is proven.
        if User.objects.filter(email__iexact=claim.email).exclude(pk=user.pk).exists():
            raise InvalidEmailLink("taken")
        user.email = claim.email
        user.email_verified_at = timezone.now()
    elif user.email_verified_at is None:
        user.email_verified_at = timezone.now()
    if user.pending_email == user.email:
        user.pending_email = ""
    user.save(update_fields=["email", "email_verified_at", "pending_email"])
    logger.info("account %s verified its email address", user.pk)
    return user


@transaction.atomic
def update_profile(form: ProfileForm) -> str | None:
    """Save name, phone and language at once; a new email address waits for its link.

    Returns the new address a verification link was sent to, if any.
    """
    new_email = form.new_email
    user = form.save(commit=False)
    user.email = form.initial_email
    user.save(update_fields=["full_name", "phone", "language"])
    if new_email:
        User.objects.filter(pk=user.pk).update(pending_email=new_email)
        user_id = user.pk
        transaction.on_commit(
            lambda: tasks.send_verification_email.enqueue(user_id, new_address=True)
        )
    return new_email


def save_language(user: User, language: str) -> None:
    """Remember ``language`` on the account: its emails and its next sign-in follow it."""
    if language in User.Language.values and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def send_password_reminders(*, now: datetime | None = None) -> int:
    """Email each account whose password expires within the reminder period, once.

    Idempotent: an account is reminded once per password, however often this runs.
    """
    now = now or timezone.now()
    sent = 0
    for user_id in User.objects.due_password_reminder(now).values_list("pk", flat=True):
        # The conditional UPDATE claims the reminder, so two concurrent runs never
        # both send it.
        claimed = User.objects.filter(
            pk=user_id, password_reminder_sent_at__isnull=True
        ).update(password_reminder_sent_at=now)
        if claimed:
            tasks.send_password_reminder.enqueue(user_id)
            sent += 1
    return sent


def revoke_service_tokens(tokens: QuerySet[ServiceToken]) -> int:
    """Revoke those of ``tokens`` still active; returns how many were revoked."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def issue_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes with new ones; each works once instead of a TOTP code."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [
        StaticToken.random_token() for _ in range(settings.STAFF_RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes
