"""Privacy requests (PDPA s.30–36): filing, identity, the 30-day clock, the answer.

Anyone may file: a signed-in customer (identity is the session), a former customer or
someone without an account (a code goes to the address they give, or to the address
on file when it is a customer's). A request about someone else's account also waits for
staff to check documents. The clock (30 days) starts when identity is confirmed.
Answering a request carries it out with the code that already exists: access and
portability queue the export, erasure schedules account closure, restriction and
objection record a ``ProcessingObjection`` that marketing sends and statistics honour.
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.emails import build_email, send_to_user
from accounts.models import User
from policy.models.requests import (
    PRIVACY_REQUEST_PERIOD,
    REMINDER_DAYS,
    PrivacyRequest,
    ProcessingObjection,
)

# A code is good for a day and five tries; a new one can be sent.
CODE_VALID_FOR = timedelta(hours=24)
CODE_ATTEMPTS = 5
# One extension, told to the requester with its reason, at most this long.
MAX_EXTENSION = timedelta(days=30)


def _code_hash(request: PrivacyRequest, code: str) -> str:
    return salted_hmac(
        "policy.privacyrequest.code", f"{request.public_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _send_to_requester(
    request: PrivacyRequest, template: str, context: dict[str, Any] | None = None
) -> None:
    build_email(
        f"policy/email/{template}",
        {
            "request": request,
            "site": settings.SITE_URL.rstrip("/"),
            "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
            **(context or {}),
        },
        language=request.language,
        to=[request.email],
    ).send()


def _staff_recipients(request: PrivacyRequest) -> list[User]:
    officers = list(roles.members(roles.PRIVACY_OFFICER))
    assignee = request.assignee
    if (
        assignee is not None
        and assignee.is_active
        and assignee.pk not in {officer.pk for officer in officers}
    ):
        officers.append(assignee)
    return officers


def _tell_staff(request: PrivacyRequest, template: str, **context: Any) -> int:
    recipients = _staff_recipients(request)
    for staff in recipients:
        send_to_user(
            staff,
            f"policy/email/{template}",
            {
                "request": request,
                "site": settings.SITE_URL.rstrip("/"),
                **context,
            },
        )
    return len(recipients)


def _account_for(email: str) -> User | None:
    return (
        get_user_model()
        .objects.filter(email__iexact=email.strip(), is_active=True, is_staff=False)
        .first()
    )


def file_request(
    *,
    right: str,
    name: str,
    email: str,
    about_email: str = "",
    details: str = "",
    language: str = "th",
    customer: User | None = None,
    now: datetime | None = None,
) -> PrivacyRequest:
    """Record a request; a signed-in customer's own starts its clock, others get a code."""
    now = now or timezone.now()
    if customer is not None and not about_email:
        email = customer.email
    request = PrivacyRequest(
        right=right,
        name=name,
        email=email.strip(),
        about_email=about_email.strip(),
        details=details,
        language=language if language in ("th", "en") else "th",
        filed_at=now,
        customer=customer if customer is not None and not about_email else None,
    )
    request.full_clean(
        exclude=["customer", "assignee", "documents_checked_by", "closed_by"]
    )
    request.save()
    if request.customer is not None:
        request.email_confirmed_at = now
        request.save(update_fields=["email_confirmed_at"])
        _start_clock(request, method=PrivacyRequest.Identity.SIGNED_IN, now=now)
    else:
        send_code(request, now=now)
    return request


def send_code(request: PrivacyRequest, *, now: datetime | None = None) -> None:
    """Email a new six-digit code to the requester's address; the old one stops working."""
    if request.email_confirmed_at is not None:
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    request.code_hash = _code_hash(request, code)
    request.code_sent_at = now or timezone.now()
    request.code_attempts = 0
    request.save(update_fields=["code_hash", "code_sent_at", "code_attempts"])
    transaction.on_commit(
        lambda: _send_to_requester(request, "request_code", {"code": code})
    )


def confirm_email(
    request: PrivacyRequest, code: str, *, now: datetime | None = None
) -> PrivacyRequest:
    """Check the code; the address is confirmed and, unless documents are due, the clock starts."""
    now = now or timezone.now()
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
        if request.email_confirmed_at is not None:
            return request
        if (
            not request.code_hash
            or request.code_sent_at is None
            or request.code_sent_at + CODE_VALID_FOR < now
            or request.code_attempts >= CODE_ATTEMPTS
        ):
            raise ValidationError(
                _("This code has expired. Ask for a new one."), code="expired"
            )
        if not constant_time_compare(
            _code_hash(request, code.strip()), request.code_hash
        ):
            # Counted (committed) before the error: five wrong tries end the code.
            request.code_attempts += 1
            request.save(update_fields=["code_attempts"])
            wrong = True
        else:
            wrong = False
            request.email_confirmed_at = now
            request.code_hash = ""
            request.customer = _account_for(request.about_email or request.email)
            request.save(update_fields=["email_confirmed_at", "code_hash", "customer"])
            if not request.needs_documents:
                _start_clock(
                    request, method=PrivacyRequest.Identity.EMAIL_CODE, now=now
                )
    if wrong:
        raise ValidationError(_("That code is not right."), code="wrong")
    return request


def confirm_documents(
    request: PrivacyRequest, *, by: User, now: datetime | None = None
) -> PrivacyRequest:
    """Staff checked the documents of a request about someone else's account: the clock starts."""
    if request.identity_confirmed_at is not None:
        raise ValidationError(_("The identity of this requester is already confirmed."))
    if request.email_confirmed_at is None:
        raise ValidationError(
            _("The requester has not confirmed their email address yet.")
        )
    request.documents_checked_by = by
    request.save(update_fields=["documents_checked_by"])
    _start_clock(request, method=PrivacyRequest.Identity.DOCUMENTS, now=now)
    return request


def _start_clock(
    request: PrivacyRequest, *, method: str, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    request.identity_confirmed_at = now
    request.identity_method = method
    request.due_on = timezone.localdate(now) + PRIVACY_REQUEST_PERIOD
    request.save(update_fields=["identity_confirmed_at", "identity_method", "due_on"])
    transaction.on_commit(lambda: _send_to_requester(request, "request_received"))
    transaction.on_commit(lambda: _tell_staff(request, "request_new"))


def assign_request(request: PrivacyRequest, *, to: User) -> PrivacyRequest:
    """Give the request to a staff member, who gets the reminders from now on."""
    if not to.is_staff:
        raise ValidationError(_("Only a staff member can handle a privacy request."))
    request.assignee = to
    request.save(update_fields=["assignee"])
    return request


def extend_request(
    request: PrivacyRequest, *, days: int, reason: str
) -> PrivacyRequest:
    """Extend the deadline once, with a reason the requester is told by email."""
    if request.is_closed or request.due_on is None:
        raise ValidationError(
            _("Only an open request with a running clock is extended.")
        )
    if request.extended_to is not None:
        raise ValidationError(_("This request was already extended once."))
    if not 1 <= days <= MAX_EXTENSION.days:
        raise ValidationError(
            _("An extension is between 1 and %(days)d days.")
            % {"days": MAX_EXTENSION.days}
        )
    if not reason.strip():
        raise ValidationError(_("Give the reason the requester will read."))
    request.extended_to = request.due_on + timedelta(days=days)
    request.extension_reason = reason.strip()
    request.reminded_days = []  # the reminders count from the new date
    request.save(update_fields=["extended_to", "extension_reason", "reminded_days"])
    transaction.on_commit(lambda: _send_to_requester(request, "request_extended"))
    return request


@transaction.atomic
def close_request(
    request: PrivacyRequest,
    *,
    by: User,
    outcome: str,
    reply: str,
    refusal_ground: str = "",
    now: datetime | None = None,
) -> PrivacyRequest:
    """Answer the request: carry it out (done, partly done) or refuse it with its legal
    ground; the reply is emailed to the requester and kept."""
    now = now or timezone.now()
    request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if request.is_closed:
        raise ValidationError(_("This request is already closed."))
    if outcome not in PrivacyRequest.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if not reply.strip():
        raise ValidationError({"reply": _("Write the reply the requester will get.")})
    refused = outcome == PrivacyRequest.Outcome.REFUSED
    if refused and refusal_ground not in PrivacyRequest.RefusalGround.values:
        raise ValidationError(
            {"refusal_ground": _("A refusal names its legal ground.")}
        )
    if not refused:
        refusal_ground = ""
        if request.identity_confirmed_at is None:
            raise ValidationError(
                _("Confirm the requester's identity before carrying out the request.")
            )
        if request.customer is not None:
            carry_out(request)
    request.outcome = outcome
    request.refusal_ground = refusal_ground
    request.reply = reply.strip()
    request.closed_at = now
    request.closed_by = by
    request.save(
        update_fields=["outcome", "refusal_ground", "reply", "closed_at", "closed_by"]
    )
    transaction.on_commit(lambda: _send_to_requester(request, "request_reply"))
    return request


def carry_out(request: PrivacyRequest) -> None:
    """Do what the right asks with the code that already does it."""
    from policy.services.rights import request_closure, request_export

    customer = request.customer
    assert customer is not None
    right = request.right
    if right in (PrivacyRequest.Right.ACCESS, PrivacyRequest.Right.PORTABILITY):
        request_export(customer)
    elif right == PrivacyRequest.Right.ERASURE:
        request_closure(customer)
    elif right in (PrivacyRequest.Right.RESTRICTION, PrivacyRequest.Right.OBJECTION):
        for purpose in ProcessingObjection.Purpose.values:
            record_objection(customer, purpose=purpose, request=request)
    # Rectification: staff correct the data in admin; the reply says what changed.


def record_objection(
    customer: User, *, purpose: str, request: PrivacyRequest | None = None
) -> ProcessingObjection:
    """Stop one processing for the customer (s.32, s.34) until it is lifted."""
    existing = ProcessingObjection.objects.filter(
        customer=customer, purpose=purpose, lifted_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    return ProcessingObjection.objects.create(
        customer=customer, purpose=purpose, request=request
    )


def lift_objection(customer: User, *, purpose: str, now: datetime | None = None) -> int:
    """End the customer's objection to one processing (they asked, or its ground ended)."""
    return ProcessingObjection.objects.filter(
        customer=customer, purpose=purpose, lifted_at__isnull=True
    ).update(lifted_at=now or timezone.now())


def objecting_customer_ids(purpose: str) -> Any:
    """Ids of customers who object to or restricted ``purpose`` (a subquery)."""
    return ProcessingObjection.objects.filter(
        purpose=purpose, lifted_at__isnull=True
    ).values("customer_id")


def is_objecting(customer: User, *, purpose: str) -> bool:
    return ProcessingObjection.objects.filter(
        customer=customer, purpose=purpose, lifted_at__isnull=True
    ).exists()


def send_request_reminders(now: datetime | None = None) -> int:
    """Daily: remind 10 and 3 days before due; every day an overdue request stays open."""
    today = timezone.localdate(now or timezone.now())
    sent = 0
    for request in PrivacyRequest.objects.running().select_related("assignee"):
        left = request.days_left(today)
        assert left is not None
        if left < 0:
            if request.overdue_emailed_on != today:
                sent += _tell_staff(request, "request_overdue", days_late=-left)
                request.overdue_emailed_on = today
                request.save(update_fields=["overdue_emailed_on"])
            continue
        due = [d for d in REMINDER_DAYS if left <= d and d not in request.reminded_days]
        if due:
            sent += _tell_staff(request, "request_reminder", days_left=left)
            request.reminded_days = sorted({*request.reminded_days, *due})
            request.save(update_fields=["reminded_days"])
    return sent
