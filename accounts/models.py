"""Accounts: the custom user, former password hashes and service tokens."""

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onespace.thaidates import format_date


class UserQuerySet(models.QuerySet["User"]):
    def customers(self) -> "UserQuerySet":
        return self.filter(is_staff=False)

    def active_customers(self) -> "UserQuerySet":
        return self.customers().filter(is_active=True, email_verified_at__isnull=False)

    def due_password_reminder(self, now: datetime) -> "UserQuerySet":
        """Active accounts whose password expires within the reminder period and who have not been reminded."""
        return self.filter(
            is_active=True,
            password_reminder_sent_at__isnull=True,
            password_changed_at__lte=now
            - settings.PASSWORD_MAX_AGE
            + settings.PASSWORD_REMINDER_BEFORE,
            password_changed_at__gt=now - settings.PASSWORD_MAX_AGE,
        )


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, email: str | None) -> "User":
        # Sign-in by email is case-insensitive.
        return self.get(email__iexact=email)

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(
        self, email: str, password: str | None = None, **extra: object
    ) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(
        self, email: str, password: str | None = None, **extra: object
    ) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_verified_at", timezone.now())
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a customer, or a staff member when ``is_staff``."""

    class Language(models.TextChoices):
        THAI = "th", "ไทย"
        ENGLISH = "en", "English"

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    # Policy 1.1: a mobile phone number, stored in E.164 (+66...).
    phone = models.CharField(_("mobile phone"), max_length=16, blank=True)
    # A new address waiting for its verification link; it replaces ``email`` only
    # once proven. Kept here so the queued email task carries the account id, never
    # the address (task rows are not personal-data stores).
    pending_email = models.EmailField(
        _("new email address (unverified)"),
        max_length=254,
        blank=True,
        default="",
        editable=False,
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language, default=Language.THAI
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    email_verified_at = models.DateTimeField(
        _("email verified at"), null=True, blank=True
    )
    password_changed_at = models.DateTimeField(
        _("password changed at"), default=timezone.now
    )
    password_reminder_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("password reminder sent at"),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="accounts_user_email_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Policy 1.1 (change the password every 3 months): every new password restarts
        # the clock, re-arms the reminder and joins the history of recent passwords.
        password_changed = getattr(self, "_password", None) is not None
        if password_changed:
            self.password_changed_at = timezone.now()
            self.password_reminder_sent_at = None
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    "password_changed_at",
                    "password_reminder_sent_at",
                }
        super().save(*args, **kwargs)
        if password_changed and self.has_usable_password():
            PasswordHistory.objects.record(self)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def has_verified_email(self) -> bool:
        # Not "is_verified": django-otp's middleware sets user.is_verified() for the
        # second factor.
        return self.email_verified_at is not None

    @property
    def password_expires_at(self) -> datetime:
        return self.password_changed_at + settings.PASSWORD_MAX_AGE

    @property
    def password_expired(self) -> bool:
        return timezone.now() >= self.password_expires_at

    @property
    def password_days_left(self) -> int:
        """Whole days until the password expires (0 once it has)."""
        return max(0, (self.password_expires_at - timezone.now()).days)

    @property
    def password_expiring_soon(self) -> bool:
        return (
            timezone.now()
            >= self.password_expires_at - settings.PASSWORD_REMINDER_BEFORE
        )


class PasswordHistoryManager(models.Manager["PasswordHistory"]):
    def record(self, user: User) -> None:
        """Keep the hash of ``user``'s current password and forget all but the newest few."""
        self.create(user=user, password=user.password)
        keep = self.filter(user=user).values_list("pk", flat=True)[
            : settings.PASSWORD_HISTORY_SIZE
        ]
        self.filter(user=user).exclude(pk__in=list(keep)).delete()


class PasswordHistory(models.Model):
    """A recent password hash (the current one included), kept so the last five cannot be reused."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="password_history",
        verbose_name=_("user"),
    )
    password = models.CharField(max_length=128, verbose_name=_("password"))
    created_at = models.DateTimeField(
        default=timezone.now, verbose_name=_("created at")
    )

    objects = PasswordHistoryManager()

    class Meta:
        verbose_name = _("password history")
        verbose_name_plural = _("password histories")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} @ {format_date(self.created_at)}"


class ServiceTokenQuerySet(models.QuerySet["ServiceToken"]):
    def active(self) -> "ServiceTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ServiceToken(models.Model):
    """A credential for another program (the control plane, the billing engine); only its hash is stored."""

    class Scope(models.TextChoices):
        NODE_EVENTS = "node-events", _("Report node events")
        ACCESS_CHECK = "access-check", _("Check staff access grants")
        BILLING = "billing", _("Create and issue invoices")

    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("token hash")
    )
    prefix = models.CharField(
        max_length=8,
        editable=False,
        help_text=_("First characters, to recognise the token."),
        verbose_name=_("prefix"),
    )
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last used at")
    )

    objects = ServiceTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("service token")
        verbose_name_plural = _("service tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        # The token is 256 random bits, so a plain SHA-256 is enough: there is no
        # dictionary to attack, and lookups stay a single indexed equality.
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(
        cls, *, name: str, scopes: list[str], created_by: User | None = None
    ) -> tuple["ServiceToken", str]:
        """Create a token and return it with the raw secret, which is shown once and never stored."""
        token = cls(name=name, scopes=scopes, created_by=created_by)
        raw = token.set_secret()
        token.save()
        return token, raw

    def set_secret(self) -> str:
        """Give the (unsaved) token a new secret and return it raw; only its hash is kept."""
        raw = "ost_" + secrets.token_urlsafe(32)
        self.token_hash = self.hash(raw)
        self.prefix = raw[:8]
        return raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes
