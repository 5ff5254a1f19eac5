"""Support tickets (policy 1.4): problem reports, enquiries and PDPA privacy requests."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onespace.choices import choice_label

# PDPA s.30-36: a data subject's request is answered within 30 days.
PRIVACY_REQUEST_PERIOD = timedelta(days=30)


class TicketQuerySet(models.QuerySet["Ticket"]):
    def active(self) -> "TicketQuerySet":
        return self.exclude(state__in=Ticket.FINISHED_STATES)

    def privacy_requests(self) -> "TicketQuerySet":
        return self.filter(kind=Ticket.Kind.PRIVACY_REQUEST)

    def overdue(self, today: date | None = None) -> "TicketQuerySet":
        today = today or timezone.localdate()
        return self.active().filter(due_on__lt=today)

    def by_urgency(self, today: date | None = None) -> "TicketQuerySet":
        """Overdue privacy requests, then open privacy requests by due date, then the rest."""
        today = today or timezone.localdate()
        finished = Q(state__in=Ticket.FINISHED_STATES)
        return self.annotate(
            urgency=Case(
                When(finished, then=Value(3)),
                When(due_on__lt=today, then=Value(0)),
                When(due_on__isnull=False, then=Value(1)),
                default=Value(2),
            )
        ).order_by("urgency", F("due_on").asc(nulls_last=True), "-created_at")

    def statistics(self) -> "TicketStatistics":
        """Policy 1.4: tickets per kind per month, median time to first response and resolution."""
        months: dict[date, dict[str, Any]] = {}
        all_first: list[timedelta] = []
        all_resolved: list[timedelta] = []
        rows = self.order_by().values_list(
            "kind", "created_at", "first_response_at", "resolved_at"
        )
        for kind, created_at, first_response_at, resolved_at in rows.iterator():
            month = timezone.localtime(created_at).date().replace(day=1)
            entry = months.setdefault(
                month,
                {
                    "counts": dict.fromkeys(Ticket.Kind.values, 0),
                    "first": [],
                    "resolved": [],
                },
            )
            entry["counts"][kind] += 1
            if first_response_at:
                entry["first"].append(first_response_at - created_at)
                all_first.append(first_response_at - created_at)
            if resolved_at:
                entry["resolved"].append(resolved_at - created_at)
                all_resolved.append(resolved_at - created_at)
        return TicketStatistics(
            months=[
                MonthStatistics(
                    month=month,
                    counts=[entry["counts"][kind] for kind in Ticket.Kind.values],
                    total=sum(entry["counts"].values()),
                    median_first_response=_median(entry["first"]),
                    median_resolution=_median(entry["resolved"]),
                )
                for month, entry in sorted(months.items())
            ],
            median_first_response=_median(all_first),
            median_resolution=_median(all_resolved),
        )


def _median(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    ordered = sorted(durations)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _hours(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds() / 3600


@dataclass(frozen=True)
class MonthStatistics:
    month: date
    counts: list[int]  # in the order of Ticket.Kind
    total: int
    median_first_response: timedelta | None
    median_resolution: timedelta | None

    @property
    def median_first_response_hours(self) -> float | None:
        return _hours(self.median_first_response)

    @property
    def median_resolution_hours(self) -> float | None:
        return _hours(self.median_resolution)

    def count(self, kind: str) -> int:
        return self.counts[Ticket.Kind.values.index(kind)]


@dataclass(frozen=True)
class TicketStatistics:
    months: list[MonthStatistics]
    median_first_response: timedelta | None
    median_resolution: timedelta | None

    @property
    def median_first_response_hours(self) -> float | None:
        return _hours(self.median_first_response)

    @property
    def median_resolution_hours(self) -> float | None:
        return _hours(self.median_resolution)


class Ticket(models.Model):
    """A customer's problem report, enquiry, billing question or privacy request."""

    class Kind(models.TextChoices):
        PROBLEM = "problem", _("Problem report")
        ENQUIRY = "enquiry", _("Enquiry")
        BILLING = "billing", _("Billing question")
        PRIVACY_REQUEST = "privacy", _("Privacy request")

    class PrivacyRight(models.TextChoices):
        # PDPA s.30-36: the rights a data subject may exercise.
        ACCESS = "access", _("Access to my data")
        RECTIFICATION = "rectification", _("Rectification")
        ERASURE = "erasure", _("Erasure")
        OBJECTION = "objection", _("Objection to processing")
        RESTRICTION = "restriction", _("Restriction of processing")
        PORTABILITY = "portability", _("Data portability")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING_ON_CUSTOMER = "waiting_customer", _("Waiting on customer")
        WAITING_ON_STAFF = "waiting_staff", _("Waiting on staff")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    FINISHED_STATES = (State.RESOLVED, State.CLOSED)

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    privacy_right = models.CharField(
        _("privacy request type"), max_length=16, choices=PrivacyRight, blank=True
    )
    subject = models.CharField(_("subject"), max_length=200)
    node_id = models.CharField(_("node"), max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State, default=State.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
        verbose_name=_("assigned to"),
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last activity"), default=timezone.now)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    first_response_at = models.DateTimeField(
        _("first staff response"), null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    access_grant_requested_at = models.DateTimeField(
        _("access grant requested at"), null=True, blank=True
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        permissions = [
            ("work_privacy_request", _("Can view and answer privacy requests")),
            ("view_statistics", _("Can view support statistics")),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["state", "due_on"]),
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["closed_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="privacy") | Q(privacy_right=""),
                name="support_ticket_privacy_right_only_on_privacy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.kind == self.Kind.PRIVACY_REQUEST and self.due_on is None:
            filed_on = timezone.localdate(self.created_at)
            self.due_on = filed_on + PRIVACY_REQUEST_PERIOD
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("support:ticket-detail", args=[self.pk])

    # Three labels on each row of the ticket list: translated once per language.
    def get_kind_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.Kind, self.kind)

    def get_privacy_right_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.PrivacyRight, self.privacy_right)

    def get_state_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(self.State, self.state)

    @property
    def reference(self) -> str:
        """The reference customers and staff quote, e.g. T-000123."""
        return f"T-{self.pk:06d}" if self.pk else ""

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED_STATES

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_on is not None
            and not self.is_finished
            and self.due_on < timezone.localdate()
        )


class MessageQuerySet(models.QuerySet["Message"]):
    def public(self) -> "MessageQuerySet":
        """What the customer sees: everything except internal notes."""
        return self.exclude(kind=Message.Kind.INTERNAL_NOTE)


class Message(models.Model):
    """One entry in a ticket's thread: the customer's words, a staff reply or an internal note."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer message")
        STAFF_REPLY = "reply", _("Staff reply")
        INTERNAL_NOTE = "note", _("Internal note")
        ACCESS_REQUEST = "access_request", _("Access grant request")

    STAFF_KINDS = (Kind.STAFF_REPLY, Kind.INTERNAL_NOTE, Kind.ACCESS_REQUEST)

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("ticket"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_from_staff(self) -> bool:
        return self.kind in self.STAFF_KINDS


class Attachment(models.Model):
    """A file a customer attached to a ticket, kept in private storage outside the web root."""

    class FileType(models.TextChoices):
        PNG = "image/png", "PNG"
        JPEG = "image/jpeg", "JPEG"
        PDF = "application/pdf", "PDF"
        TEXT = "text/plain", _("Plain text")

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("ticket"),
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="attachments",
        null=True,
        blank=True,
        verbose_name=_("message"),
    )
    original_name = models.CharField(_("file name"), max_length=255)
    # Path inside storages["private"]; never under MEDIA_ROOT or STATIC_ROOT.
    stored_name = models.CharField(
        max_length=255, editable=False, verbose_name=_("stored name")
    )
    content_type = models.CharField(_("type"), max_length=32, choices=FileType)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("support:attachment-download", args=[self.pk])
