"""Signed, expiring email-verification links (django.core.signing, no table needed)."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from accounts.models import User

SALT = "accounts.email-verification"


@dataclass(frozen=True)
class EmailClaim:
    """What a valid link proves: the holder of ``email`` acts for account ``user_id``."""

    user_id: int
    email: str
    # The account's address when the link was made: once the address changes, every
    # older link for that account stops working.
    current_email: str


def make_email_token(user: User, email: str) -> str:
    """A token proving that whoever reads ``email``'s inbox may verify it for ``user``."""
    return signing.dumps(
        {"u": user.pk, "e": email, "c": user.email}, salt=SALT, compress=True
    )


def read_email_token(token: str) -> EmailClaim:
    """Decode ``token``; raises signing.SignatureExpired or signing.BadSignature."""
    data = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    try:
        return EmailClaim(
            user_id=int(data["u"]), email=str(data["e"]), current_email=str(data["c"])
        )
    except (KeyError, TypeError, ValueError):
        raise signing.BadSignature("malformed payload") from None
