"""Personal data of the accounts app (policy clause 1.1)."""

from datetime import datetime, timedelta
from typing import ClassVar

from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from axes.models import AccessLog as AxesAccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PasswordHistory, ServiceToken, User
from policy import registry as privacy


@privacy.register
class RegistrationData(privacy.Category):
    """Name, email address and mobile phone given at sign-up."""

    key = "accounts-registration"
    name = _("Registration and sign-in data")
    model = User
    fields = ("full_name", "email", "phone", "pending_email")
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
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """Dates only: handing out password hashes would weaken the account."""
        return rows.values("pk", "created_at")


# --- What accounts configures from Django and third-party apps -------------------------
# Sessions, sign-in lockout (django-axes), second factors (django-otp) and admin's change
# log all hold data about one person; each is declared here like our own tables.

LOCKOUT_RETENTION = timedelta(days=settings.AUDITLOG_RETENTION_DAYS)
LOCKOUT_RETENTION_REASON = _(
    "Computer-related Crime Act s.26: traffic data is kept at least 90 days; "
    "we keep it for the configured log retention period."
)


@privacy.register
class SessionData(privacy.Category):
    """Signed-in sessions: which account a browser is signed in as, until it expires."""

    source = privacy.Source.SYSTEMS

    key = "accounts-session"
    name = _("Sign-in sessions")
    model = Session
    fields = ("session_data",)
    purpose = _("Keep you signed in between pages (policy 1.1)")
    legal_basis = privacy.Basis.CONTRACT
    retention = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    retention_reason = _(
        "A session lasts at most this long after your last visit; expired sessions "
        "are deleted."
    )
    retention_from = "expire_date"
    erasure = privacy.Erasure.DELETE

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        # The account is inside the encoded session data: decode the live sessions.
        keys = [
            session.session_key
            for session in Session.objects.filter(expire_date__gt=timezone.now())
            if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk)
        ]
        return Session.objects.filter(session_key__in=keys)

    export_order = ("expire_date",)

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """When each session ends: never the session key, which signs a browser in."""
        return rows.values("expire_date")

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        count, _deleted = Session.objects.filter(expire_date__lt=now).delete()
        return count


class LockoutCategory(privacy.Category):
    """django-axes rows: the address typed into the sign-in form, from where, with what."""

    source = privacy.Source.SYSTEMS

    fields: ClassVar[tuple[str, ...]] = (
        "username",
        "ip_address",
        "user_agent",
        "http_accept",
        "path_info",
    )
    purpose = _(
        "Stop password guessing: lock sign-in after repeated failures (policy 1.1)"
    )
    legal_basis = privacy.Basis.LEGITIMATE_INTEREST
    retention = LOCKOUT_RETENTION
    retention_reason = LOCKOUT_RETENTION_REASON
    retention_from = "attempt_time"
    erasure = privacy.Erasure.DELETE

    subject_by_id = True  # for_subject reads only the address

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        # axes keys its rows by the typed address, lower-cased (accounts.backends).
        return cls.model._default_manager.filter(
            username=str(getattr(user, "email", "")).strip().lower()
        )


@privacy.register
class LockoutAttemptData(LockoutCategory):
    key = "accounts-lockout-attempt"
    name = _("Failed sign-in counters")
    model = AccessAttempt
    fields = (*LockoutCategory.fields, "get_data", "post_data")
    export_fields = ("attempt_time", "failures_since_start")


@privacy.register
class LockoutFailureData(LockoutCategory):
    key = "accounts-lockout-failure"
    name = _("Failed sign-in log")
    model = AccessFailureLog
    export_fields = ("attempt_time", "locked_out")


@privacy.register
class LockoutAccessLogData(LockoutCategory):
    """Sign-in records of django-axes (switched off by AXES_DISABLE_ACCESS_LOG: empty)."""

    key = "accounts-lockout-access-log"
    name = _("Sign-in log of the lockout guard")
    model = AxesAccessLog
    fields = (*LockoutCategory.fields, "session_hash")
    export_fields = ("attempt_time", "logout_time")


class DeviceCategory(privacy.Category):
    """Second-factor devices of staff accounts (customers have none)."""

    purpose = _(
        "Protect staff access to personal data with a second factor (policy clause 2)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _("Kept while the account exists; deleted when it is closed")
    erasure = privacy.Erasure.DELETE
    export_fields: ClassVar[tuple[str, ...]] = (
        "confirmed",
        "created_at",
        "last_used_at",
    )

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """Name and dates only: a device key or recovery code would let anyone in."""
        return rows.values("pk", "name", *cls.export_fields)


@privacy.register
class TOTPDeviceData(DeviceCategory):
    key = "accounts-totp-device"
    name = _("Authenticator apps (second factor)")
    model = TOTPDevice
    fields = ("name", "key")


@privacy.register
class StaticDeviceData(DeviceCategory):
    key = "accounts-recovery-codes"
    name = _("Recovery codes (second factor)")
    model = StaticDevice
    fields = ("name",)


@privacy.register
class StaticTokenData(DeviceCategory):
    key = "accounts-recovery-code"
    name = _("Unused recovery codes")
    model = StaticToken
    fields = ("token",)
    subject = "device__user"
    export_fields = ()

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """That a code exists, never the code."""
        return rows.values("pk")


@privacy.register
class AdminLogData(privacy.Category):
    """Admin's change log: entries about a person's account name them in their label."""

    source = privacy.Source.STAFF

    key = "accounts-admin-log"
    name = _("Staff changes to your account")
    model = LogEntry
    fields = ("object_id", "object_repr", "change_message")
    export_fields = ("action_time", "action_flag")
    purpose = _("Show who changed what in the administration (policy clause 2)")
    legal_basis = privacy.Basis.LEGITIMATE_INTEREST
    retention = LOCKOUT_RETENTION
    retention_reason = LOCKOUT_RETENTION_REASON
    retention_from = "action_time"
    erasure = privacy.Erasure.ANONYMISE

    subject_by_id = True  # for_subject reads only the id and the address

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        account = ContentType.objects.get_for_model(User)
        email = str(getattr(user, "email", ""))
        about = Q(content_type=account, object_id=str(user.pk))
        if email:
            about |= Q(object_repr__icontains=email)
        return LogEntry.objects.filter(about)

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        count, _deleted = LogEntry.objects.filter(
            action_time__lt=now - LOCKOUT_RETENTION
        ).delete()
        return count


privacy.no_personal_data(
    AccessAttemptExpiration,
    reason=_("When a failed sign-in counter expires; the counter itself is declared."),
)
privacy.not_personal(
    ServiceToken,
    "name",
    reason=_(
        "The name an administrator gives a program's credential (e.g. control plane)."
    ),
)
privacy.not_personal(
    ServiceToken,
    "scopes",
    reason=_("The API permissions of a program's credential, a fixed vocabulary."),
)
privacy.no_personal_data(
    ServiceToken,
    reason=_("Credentials of programs (the control plane), not of people."),
)
