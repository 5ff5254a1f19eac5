"""Background work of the accounts app: the emails it sends."""

from django.tasks import task
from django.urls import reverse

from accounts.emails import send_to_user
from accounts.models import User
from accounts.tokens import make_email_token


@task
def send_verification_email(user_id: int, *, new_address: bool = False) -> None:
    """Send the signed link that verifies the account's address, or its pending new one.

    The task row holds the account id only: the address is read from the account when
    the task runs (a new one from ``pending_email``), so no address sits in the queue.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    email = user.pending_email if new_address else user.email
    if not email:
        return
    path = reverse("accounts:verify-email", args=[make_email_token(user, email)])
    send_to_user(
        user,
        "accounts/email/verify_email",
        {"verify_path": path, "email": email, "is_change": email != user.email},
        to=email,
    )


@task
def send_password_reminder(user_id: int) -> None:
    """Remind the account holder that their password expires soon (policy 1.1)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    send_to_user(
        user,
        "accounts/email/password_reminder",
        {
            "expires_at": user.password_expires_at,
            "change_path": reverse("accounts:password-change"),
        },
    )
