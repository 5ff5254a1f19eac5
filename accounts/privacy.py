"""Personal data of the accounts app (policy clause 1.1)."""

from collections.abc import Iterator
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import PasswordHistory, User
from policy import registry as privacy


@privacy.register
class RegistrationData(privacy.Category):
    """Name, email address and mobile phone given at sign-up."""

    key = "accounts-registration"
    name = _("Registration and sign-in data")
    model = User
    fields = ("full_name", "email", "phone")
    purpose = _(
        "Identify you, let you sign in and contact you about the service (policy 1.1)"
    )
    legal_basis = privacy.Basis.CONTRACT
    retention = None
    retention_reason = _("Kept while the account exists; erased when it is closed")
    subject = ""
    erasure = privacy.Erasure.DELETE
    export_fields = (
        "language",
        "date_joined",
        "email_verified_at",
        "password_changed_at",
    )


@privacy.register
class PasswordHistoryData(privacy.Category):
    """Hashes of former passwords, so the last five cannot be reused."""

    key = "accounts-password-history"
    name = _("Former password hashes")
    model = PasswordHistory
    # A salted hash cannot be read back, but it is still about one person.
    fields = ("password",)
    purpose = _(
        "Keep your account secure: the last five passwords cannot be reused (policy 1.1)"
    )
    legal_basis = privacy.Basis.CONTRACT
    retention = None
    retention_reason = _(
        "Only the last five are kept, and only while the account exists"
    )
    subject = "user"
    erasure = privacy.Erasure.DELETE
    export_fields = ("created_at",)

    @classmethod
    def export(cls, user: models.Model) -> Iterator[dict[str, Any]]:
        """Dates only: handing out password hashes would weaken the account."""
        rows = cls.for_subject(user).order_by("pk").values("pk", "created_at")
        yield from rows.iterator(chunk_size=2000)
