"""Privacy requests (PDPA s.30–36): who asked for what, identity, the 30-day clock, the answer."""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# PDPA s.30 para 3: a request is answered within 30 days of receiving it; the clock
# starts when the requester's identity is confirmed (until then it is no request of theirs).
PRIVACY_REQUEST_PERIOD = timedelta(days=30)
# Reminders to the assigned staff member and the Privacy officer group, days before due.
REMINDER_DAYS = (10, 3)


class PrivacyRequestQuerySet(models.QuerySet["PrivacyRequest"]):
    def open(self) -> "PrivacyRequestQuerySet":
        return self.filter(closed_at__isnull=True)

    def running(self) -> "PrivacyRequestQuerySet":
        """Open requests whose clock runs: identity confirmed, not yet answered."""
        return self.open().filter(due_on__isnull=False)

    def overdue(self, today: date | None = None) -> "PrivacyRequestQuerySet":
        today = today or timezone.localdate()
        return self.running().filter(
            Q(extended_to__isnull=True, due_on__lt=today) | Q(extended_to__lt=today)
        )

    def refused(self) -> "PrivacyRequestQuerySet":
        return self.filter(outcome=PrivacyRequest.Outcome.REFUSED)


class PrivacyRequest(models.Model):
    """One data subject's request under PDPA s.30–36, from filing to the reply sent."""

    class Right(models.TextChoices):
        ACCESS = "access", _("Access to my data (s.30)")
        PORTABILITY = "portability", _("Data portability (s.31)")
        OBJECTION = "objection", _("Objection to processing (s.32)")
        ERASURE = "erasure", _("Erasure (s.33)")
        RESTRICTION = "restriction", _("Restriction of processing (s.34)")
        RECTIFICATION = "rectification", _("Rectification (s.35–36)")

    class Identity(models.TextChoices):
        EMAIL_CODE = "email_code", _("Code sent to the email address")
        SIGNED_IN = "signed_in", _("Signed in to the account")
        DOCUMENTS = "documents", _("Documents checked by staff")

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        PARTLY_DONE = "partly_done", _("Partly done")
        REFUSED = "refused", _("Refused")

    class RefusalGround(models.TextChoices):
        LAW = "law", _("Required by law or a court order (s.30 para 2)")
        OTHERS = (
            "others",
            _("Would harm the rights and freedoms of others (s.30 para 2)"),
        )
        LEGAL_CLAIMS = "legal_claims", _("Needed for legal claims (s.32, s.33)")
        LEGAL_DUTY = "legal_duty", _("Kept to comply with a legal duty (s.33 para 2)")
        PUBLIC_INTEREST = "public_interest", _("Public interest task (s.32, s.34)")
        IDENTITY = "identity", _("The requester's identity could not be confirmed")

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public id")
    )
    right = models.CharField(_("right"), max_length=16, choices=Right)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="privacy_requests",
    )
    name = models.CharField(_("requester's name"), max_length=200)
    email = models.EmailField(_("requester's email address"))
    about_email = models.EmailField(
        _("account the request is about"),
        blank=True,
        help_text=_("Only when it is not the requester's own address."),
    )
    details = models.TextField(_("details"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="th")
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)

    code_hash = models.CharField(
        max_length=128, blank=True, editable=False, verbose_name=_("code hash")
    )
    code_sent_at = models.DateTimeField(_("code sent at"), null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(
        default=0, editable=False, verbose_name=_("code attempts")
    )
    email_confirmed_at = models.DateTimeField(
        _("email address confirmed at"), null=True, blank=True
    )
    identity_confirmed_at = models.DateTimeField(
        _("identity confirmed at"), null=True, blank=True
    )
    identity_method = models.CharField(
        _("identity confirmed by"), max_length=16, choices=Identity, blank=True
    )
    documents_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("documents checked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    due_on = models.DateField(_("due on"), null=True, blank=True)
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        limit_choices_to={"is_staff": True},
        related_name="+",
    )
    reminded_days = models.JSONField(
        _("reminders sent (days before due)"), default=list, blank=True
    )
    overdue_emailed_on = models.DateField(
        _("last overdue email"), null=True, blank=True
    )

    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome, blank=True)
    refusal_ground = models.CharField(
        _("legal ground of the refusal"),
        max_length=20,
        choices=RefusalGround,
        blank=True,
    )
    reply = models.TextField(_("reply sent to the requester"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PrivacyRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-filed_at", "-pk"]
        indexes = [
            models.Index(fields=["closed_at", "due_on"]),
            models.Index(fields=["outcome", "-closed_at"]),
        ]
        constraints = [
            # Closed means answered: an outcome and the time, together.
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, outcome="")
                | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="policy_privacyrequest_closed_with_outcome",
            ),
            # A refusal names its legal ground and the reply the requester got.
            models.CheckConstraint(
                condition=~Q(outcome="refused")
                | (~Q(refusal_ground="") & ~Q(reply="")),
                name="policy_privacyrequest_refusal_has_ground_and_reply",
            ),
            models.CheckConstraint(
                condition=Q(outcome="refused") | Q(refusal_ground=""),
                name="policy_privacyrequest_ground_only_on_refusal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_right_display()}"

    @property
    def reference(self) -> str:
        """The reference the requester and staff quote, e.g. PR-000123."""
        return f"PR-{self.pk:06d}" if self.pk else ""

    @property
    def needs_documents(self) -> bool:
        """About someone else's account: staff check documents before the clock starts."""
        return bool(self.about_email) and (
            self.about_email.strip().lower() != self.email.strip().lower()
        )

    @property
    def due_by(self) -> date | None:
        return self.extended_to or self.due_on

    def days_left(self, today: date | None = None) -> int | None:
        due = self.due_by
        if due is None:
            return None
        return (due - (today or timezone.localdate())).days

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_overdue(self) -> bool:
        left = self.days_left()
        return not self.is_closed and left is not None and left < 0


class ProcessingObjection(models.Model):
    """A customer's objection to or restriction of one processing (s.32, s.34), honoured by the code."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing emails")
        ANALYTICS = "analytics", _("Analysis of usage and support statistics")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose)
    request = models.ForeignKey(
        PrivacyRequest,
        verbose_name=_("privacy request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objections",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection or restriction")
        verbose_name_plural = _("objections and restrictions")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "purpose"],
                condition=Q(lifted_at__isnull=True),
                name="policy_objection_one_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.get_purpose_display()}"
