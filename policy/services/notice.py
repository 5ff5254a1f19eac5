"""Publish a notice version, announce it, accept it, give or withdraw consent."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.emails import build_email
from accounts.models import User
from onespace.client_ip import client_ip
from onespace.thaidates import format_datetime
from policy import current, snapshot
from policy.models import (
    Acceptance,
    AcceptanceQuerySet,
    ConsentRecord,
    NoticeDelivery,
    NoticeVersion,
    fingerprint_of,
    pseudonym_of,
)


def can_publish(user: Any) -> bool:
    """Only the Privacy officer group publishes notice versions."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.groups.filter(name=roles.PRIVACY_OFFICER).exists()
    )


def publish_version(
    version: NoticeVersion,
    *,
    by: User,
    effective_at: datetime,
    now: datetime | None = None,
) -> NoticeVersion:
    """Publish a complete draft to take effect no sooner than the notice period; announce it."""
    now = now or timezone.now()
    if not can_publish(by):
        raise PermissionDenied(
            _("Only the Privacy officer may publish a notice version.")
        )
    if version.published_at is not None:
        raise ValidationError(_("This version is already published and cannot change."))
    errors: dict[str, list[Any]] = {}
    for field in ("text_th", "text_en", "summary_th", "summary_en"):
        if not getattr(version, field).strip():
            errors[field] = [_("Required before publishing.")]
    # Policy clause 3: announced clearly *before* the change takes effect.
    earliest = now + settings.POLICY_NOTICE_PERIOD
    if effective_at < earliest:
        errors["effective_at"] = [
            _(
                "The effective date must be at least %(days)d days after publication "
                "(on or after %(date)s)."
            )
            % {
                "days": settings.POLICY_NOTICE_PERIOD.days,
                "date": format_datetime(earliest),
            }
        ]
    latest = NoticeVersion.objects.published().order_by("-effective_at").first()
    if (
        latest is not None
        and latest.effective_at
        and effective_at <= latest.effective_at
    ):
        errors.setdefault("effective_at", []).append(
            _("The effective date must be after that of version %(label)s.")
            % {"label": latest.label}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # A conditional update: two officers publishing at once cannot both succeed,
        # and the database guard allows this change only while the row is a draft.
        changed = NoticeVersion.objects.filter(
            pk=version.pk, published_at__isnull=True
        ).update(
            published_at=now,
            effective_at=effective_at,
            published_by=by,
            fingerprint=fingerprint_of(version.text_th, version.text_en),
            # The "what we collect" table is part of what is published (policy.snapshot).
            registry_snapshot=snapshot.take(),
        )
        if not changed:
            raise ValidationError(
                _("This version is already published and cannot change.")
            )
        version.refresh_from_db()
        transaction.on_commit(current.clear)
        transaction.on_commit(lambda: _enqueue_announcement(version.pk))
    return version


def _enqueue_announcement(version_pk: int) -> None:
    from policy.tasks import announce_version

    announce_version.enqueue(version_pk)


def customers_to_notify(version: NoticeVersion) -> models.QuerySet[User]:
    """Active customers who have not yet been emailed about ``version``."""
    notified = NoticeDelivery.objects.filter(version=version).values("customer_id")
    return User.objects.active_customers().exclude(pk__in=notified)


def announce_version(version: NoticeVersion, *, batch_size: int | None = None) -> int:
    """Queue the notice email to every active customer in batches; return the batch count."""
    from policy.tasks import send_notice_batch

    batch_size = batch_size or settings.POLICY_NOTICE_BATCH_SIZE
    ids = customers_to_notify(version).order_by("pk").values_list("pk", flat=True)
    batches = 0
    batch: list[int] = []
    for pk in ids.iterator(chunk_size=batch_size):
        batch.append(pk)
        if len(batch) == batch_size:
            send_notice_batch.enqueue(version.pk, batch)
            batches += 1
            batch = []
    if batch:
        send_notice_batch.enqueue(version.pk, batch)
        batches += 1
    return batches


def announce_to_late_joiners(now: datetime | None = None) -> int:
    """Announce every scheduled version to customers who joined or verified their address
    after it was announced (daily maintenance); return how many customers were queued.

    ``announce_version`` skips everyone already emailed, so this only reaches the late.
    """
    now = now or timezone.now()
    queued = 0
    for version in NoticeVersion.objects.published().filter(effective_at__gt=now):
        late = customers_to_notify(version).count()
        if late:
            announce_version(version)
            queued += late
    return queued


def send_notice_batch(version: NoticeVersion, customer_ids: Iterable[int]) -> int:
    """Email each still-active customer in the batch once; return how many were sent now."""
    sent = 0
    for customer in User.objects.active_customers().filter(pk__in=list(customer_ids)):
        if send_notice(customer, version=version):
            sent += 1
    return sent


def send_notice(customer: User, *, version: NoticeVersion) -> bool:
    """Email ``customer`` about ``version`` unless already done; the record proves it was sent."""
    try:
        with transaction.atomic():
            _delivery, created = NoticeDelivery.objects.get_or_create(
                customer=customer, version=version
            )
            if created:
                # Sent inside the transaction: if the mail server refuses, the record
                # is rolled back and a retry sends it; once recorded, never again.
                _notice_email(customer, version).send()
    except IntegrityError:
        # Another worker recorded (and sent) it at the same moment.
        return False
    return created


def _notice_email(customer: User, version: NoticeVersion) -> EmailMultiAlternatives:
    previous = (
        NoticeVersion.objects.published()
        .filter(effective_at__lt=version.effective_at)
        .order_by("-effective_at")
        .first()
    )
    site = settings.SITE_URL.rstrip("/")
    diff_url = ""
    if previous:
        diff_url = site + reverse(
            "policy:version-diff", args=[previous.label, version.label]
        )
    return build_email(
        "policy/email/notice_changed",
        {
            "user": customer,
            "version": version,
            "summary": version.summary(customer.language),
            "version_url": site + version.get_absolute_url(),
            "diff_url": diff_url,
            "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
        },
        language=customer.language,
        to=[customer.email],
    )


def request_origin(request: HttpRequest | None) -> dict[str, Any]:
    """Client address (by the TRUSTED_PROXIES rule) and browser of ``request``."""
    if request is None:
        return {"ip_address": None, "user_agent": ""}
    return {
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:512],
    }


def accept_notice(
    customer: User,
    *,
    version: NoticeVersion,
    source: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Acceptance:
    """Record that ``customer`` accepted ``version`` (once); only a scheduled or in-force version."""
    now = now or timezone.now()
    if source not in Acceptance.Source.values:
        raise ValidationError(_("Unknown place of acceptance."))
    in_force = NoticeVersion.objects.in_force(now)
    is_scheduled = version.effective_at is not None and version.effective_at > now
    if version.published_at is None or not (
        is_scheduled or (in_force and in_force.pk == version.pk)
    ):
        raise ValidationError(
            _("Only the version in force or the scheduled version can be accepted.")
        )
    existing = Acceptance.objects.filter(customer=customer, version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Acceptance.objects.create(
                customer=customer,
                version=version,
                fingerprint=version.fingerprint,
                pseudonym=pseudonym_of(customer.email),
                accepted_at=now,
                source=source,
                **request_origin(request),
            )
    except IntegrityError:
        return Acceptance.objects.get(customer=customer, version=version)


def accept_notice_in_force(customer: User, *, source: str) -> Acceptance | None:
    """Record that ``customer`` accepted the version in force (demo data, imports)."""
    version = NoticeVersion.objects.in_force()
    if version is None:
        return None
    return accept_notice(customer, version=version, source=source)


def has_accepted(customer: User, version_pk: int) -> bool:
    return Acceptance.objects.filter(customer=customer, version_id=version_pk).exists()


def acceptances_for_email(
    email: str, *, label: str | None = None
) -> AcceptanceQuerySet:
    """Proof by address: the acceptances given from ``email``, also after erasure."""
    rows = Acceptance.objects.for_email(email).select_related("version")
    if label is not None:
        rows = rows.filter(version__label=label)
    return rows


def has_consent(customer: User, purpose: str) -> bool:
    """Whether ``customer``'s latest word on ``purpose`` is yes (no record means no)."""
    latest = ConsentRecord.objects.latest_for(customer, purpose)
    return bool(latest and latest.is_given)


def consenting_customers(purpose: str) -> models.QuerySet[User]:
    """Active customers whose latest consent record for ``purpose`` is a yes, right now."""
    latest = (
        ConsentRecord.objects.filter(customer=models.OuterRef("pk"), purpose=purpose)
        .order_by("-recorded_at", "-pk")
        .values("is_given")[:1]
    )
    return (
        User.objects.active_customers()
        .annotate(latest_consent=models.Subquery(latest))
        .filter(latest_consent=True)
    )


def set_consent(
    customer: User,
    *,
    purpose: str,
    is_given: bool,
    source: str,
    request: HttpRequest | None = None,
) -> ConsentRecord | None:
    """Give or withdraw an optional consent; a change is recorded, no change records nothing."""
    if purpose not in ConsentRecord.Purpose.values:
        raise ValidationError(_("Unknown consent."))
    if has_consent(customer, purpose) == is_given:
        return None
    return ConsentRecord.objects.create(
        customer=customer,
        pseudonym=pseudonym_of(customer.email),
        purpose=purpose,
        is_given=is_given,
        source=source,
        **request_origin(request),
    )
