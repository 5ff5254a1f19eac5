"""Marketing emails (PDPA s.19): only to consenting customers who did not object, with a
one-click unsubscribe (RFC 8058) that withdraws the consent without signing in.

Consent and objection are checked twice: when the recipients are chosen and again just
before each email goes, so a withdrawal between the two is honoured. The unsubscribe link
carries a signed token (the customer id and the purpose, salted, no expiry: an old email's
link still works); a GET only shows the button, the POST withdraws, so a mail scanner that
follows links withdraws nothing, while the mail provider's one-click POST does.
"""

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.emails import build_email
from accounts.models import User
from policy.models import ConsentRecord, MarketingDelivery, MarketingEmail
from policy.models.requests import ProcessingObjection
from policy.services.notice import consenting_customers, has_consent, set_consent
from policy.services.requests import is_objecting, objecting_customer_ids

PURPOSE = ConsentRecord.Purpose.MARKETING_EMAIL
UNSUBSCRIBE_SALT = "policy.marketing.unsubscribe"
BATCH_SIZE = 200


def marketing_recipients() -> models.QuerySet[User]:
    """Active customers who consent to marketing email and did not object to or restrict it."""
    return consenting_customers(PURPOSE).exclude(
        pk__in=objecting_customer_ids(ProcessingObjection.Purpose.MARKETING)
    )


def may_receive_marketing(customer: User) -> bool:
    return (
        customer.is_active
        and has_consent(customer, PURPOSE)
        and not is_objecting(customer, purpose=ProcessingObjection.Purpose.MARKETING)
    )


def unsubscribe_token(customer: User) -> str:
    return signing.dumps({"c": customer.pk, "p": PURPOSE}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(customer: User) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "policy:unsubscribe", args=[unsubscribe_token(customer)]
    )


def customer_for_token(token: str) -> User | None:
    """The customer a signed unsubscribe token names, or None for a bad token."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") != PURPOSE:
        return None
    return User.objects.filter(pk=data.get("c"), is_active=True).first()


def unsubscribe(customer: User, *, request: HttpRequest | None = None) -> bool:
    """Withdraw the marketing consent, recorded like any other withdrawal; True if it changed."""
    record = set_consent(
        customer,
        purpose=PURPOSE,
        is_given=False,
        source=ConsentRecord.Source.UNSUBSCRIBE_LINK,
        request=request,
    )
    return record is not None


def queue_marketing_email(email: MarketingEmail) -> int:
    """Queue ``email`` for every customer who may receive it and has not; return how many."""
    from policy.tasks import send_marketing_batch

    told = MarketingDelivery.objects.filter(email=email).values("customer_id")
    ids = list(marketing_recipients().exclude(pk__in=told).values_list("pk", flat=True))
    if email.queued_at is None:
        email.queued_at = timezone.now()
        email.save(update_fields=["queued_at"])
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        transaction.on_commit(
            lambda batch=batch: send_marketing_batch.enqueue(email.pk, batch)  # type: ignore[misc]
        )
    return len(ids)


def send_marketing_email(email: MarketingEmail, customer: User) -> bool:
    """Send ``email`` to ``customer`` once, if they still consent and do not object."""
    if not may_receive_marketing(customer):
        return False
    try:
        with transaction.atomic():
            _delivery, created = MarketingDelivery.objects.get_or_create(
                email=email, customer=customer
            )
    except IntegrityError:
        return False
    if not created:
        return False
    url = unsubscribe_url(customer)
    english = customer.language.startswith("en")
    context: dict[str, Any] = {
        "user": customer,
        "subject": email.subject_en if english else email.subject_th,
        "body": email.body_en if english else email.body_th,
        "unsubscribe_url": url,
    }
    message = build_email(
        "policy/email/marketing",
        context,
        language=customer.language,
        to=[customer.email],
    )
    # RFC 2369 / RFC 8058: mail programs show an unsubscribe button that POSTs here.
    message.extra_headers["List-Unsubscribe"] = f"<{url}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.send()
    return True
