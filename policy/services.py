"""The policy app's verbs: publish a version, announce it, accept it, give or withdraw consent."""

import secrets
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.emails import build_email, send_to_user
from accounts.models import User
from onespace.client_ip import client_ip
from policy import current
from policy.models import (
    Acceptance,
    AcceptanceQuerySet,
    Breach,
    BreachNotice,
    ClosureNotDue,
    ConsentRecord,
    DataExport,
    ErasureRecord,
    NoticeDelivery,
    NoticeVersion,
    fingerprint_of,
    pseudonym_of,
)
from policy.registry import Category, Erasure, registry


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
                "date": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M"),
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


# --- Privacy rights: export, closure and erasure, breaches (PDPA s.30-37) ----------------


def _send(customer: Any, template: str, context: dict[str, Any]) -> None:
    """Send ``policy/email/<template>`` to the customer in their language."""
    send_to_user(
        customer,
        f"policy/email/{template}",
        {
            "site": settings.SITE_URL.rstrip("/"),
            "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
            **context,
        },
    )


def request_export(customer: User, *, now: datetime | None = None) -> DataExport:
    """Record a request for a copy of the customer's data; a task prepares the file."""
    from policy.tasks import prepare_export

    pending = DataExport.objects.filter(
        customer=customer, ready_at__isnull=True
    ).first()
    if pending is not None:
        return pending  # one in preparation is enough: a second click changes nothing
    export = DataExport.objects.create(
        customer=customer, requested_at=now or timezone.now()
    )
    transaction.on_commit(lambda: prepare_export.enqueue(export.pk))
    return export


def prepare_export(export: DataExport, *, now: datetime | None = None) -> DataExport:
    """Write the ZIP into private storage, set its 7-day expiry and email the link."""
    from policy.export import write_export

    customer = export.customer
    if export.ready_at is not None or customer is None or not customer.is_active:
        return export
    storage = storages["private"]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.zip"
        counts = write_export(customer, path, language=customer.language)
        with path.open("rb") as handle:
            name = storage.save(
                f"exports/{secrets.token_hex(16)}.zip", File(handle, name="export.zip")
            )
        size = path.stat().st_size
    ready_at = now or timezone.now()
    export.file_name = name
    export.size = size
    export.counts = counts
    export.ready_at = ready_at
    export.expires_at = ready_at + settings.POLICY_EXPORT_VALID_FOR
    export.save(update_fields=["file_name", "size", "counts", "ready_at", "expires_at"])
    _send(
        customer,
        "export_ready",
        {
            "export": export,
            "url": settings.SITE_URL.rstrip("/") + export.get_absolute_url(),
        },
    )
    return export


def mark_downloaded(export: DataExport, *, now: datetime | None = None) -> None:
    """Record the first download of an export."""
    DataExport.objects.filter(pk=export.pk, downloaded_at__isnull=True).update(
        downloaded_at=now or timezone.now()
    )


def delete_export_files(exports: models.QuerySet[DataExport], *, now: datetime) -> int:
    """Delete the stored ZIPs of ``exports``; the records stay as proof of each request."""
    deleted = 0
    storage = storages["private"]
    for export in exports.filter(file_deleted_at__isnull=True).exclude(file_name=""):
        storage.delete(export.file_name)
        DataExport.objects.filter(pk=export.pk).update(
            file_name="", file_deleted_at=now
        )
        deleted += 1
    return deleted


def purge_expired_exports(now: datetime | None = None) -> int:
    """Delete export files whose 7-day link has run out."""
    now = now or timezone.now()
    return delete_export_files(DataExport.objects.expired(now), now=now)


def retained_categories() -> list[type[Category]]:
    """Categories whose records outlive the account: kept as they are, or anonymised."""
    return [category for category in registry if category.erasure != Erasure.DELETE]


def pending_closure(customer: User) -> ErasureRecord | None:
    return ErasureRecord.objects.pending().filter(customer=customer).first()


def request_closure(customer: User, *, now: datetime | None = None) -> ErasureRecord:
    """Schedule erasure after the cool-off; the password was checked by the form."""
    now = now or timezone.now()
    if customer.is_staff:
        raise ValidationError(_("Staff accounts are closed by an administrator."))
    if (
        not customer.is_active
        or ErasureRecord.objects.filter(
            customer=customer, erased_at__isnull=False
        ).exists()
    ):
        raise ValidationError(_("This account is already closed and erased."))
    if pending_closure(customer) is not None:
        raise ValidationError(_("Closing this account is already scheduled."))
    try:
        with transaction.atomic():
            record = ErasureRecord.objects.create(
                customer=customer,
                pseudonym=pseudonym_of(customer.email),
                requested_at=now,
                erase_after=now + settings.ACCOUNT_CLOSURE_COOL_OFF,
            )
    except IntegrityError:
        # Two confirmations at once: the constraint lets only one request stand.
        raise ValidationError(_("Closing this account is already scheduled.")) from None
    transaction.on_commit(lambda: _enqueue_erasure(record))
    transaction.on_commit(
        lambda: _send(customer, "closure_scheduled", {"record": record})
    )
    return record


def _enqueue_erasure(record: ErasureRecord) -> None:
    """Run erasure when the cool-off ends; ``purge_expired`` also does it if no worker can."""
    from policy.tasks import erase_account

    if erase_account.get_backend().supports_defer:
        erase_account.using(run_after=record.erase_after).enqueue(record.pk)


def cancel_closure(customer: User, *, now: datetime | None = None) -> ErasureRecord:
    """Cancel the pending closure during the cool-off; nothing was erased yet."""
    record = pending_closure(customer)
    if record is None:
        raise ValidationError(_("There is no account closure to cancel."))
    record.cancelled_at = now or timezone.now()
    record.save(update_fields=["cancelled_at"])
    return record


def _anonymise_user(user: Any) -> None:
    """Replace the account's personal fields; the row stays for the records the law keeps."""
    model = type(user)
    values: dict[str, Any] = {}
    for category in registry:
        if category.model is model and not category.subject:
            values.update(category.anonymised_values())
    # The address is the sign-in name and must stay unique: an address that can never
    # receive mail (RFC 2606 .invalid) and names no one.
    values["email"] = f"erased-{user.pk}@erased.invalid"
    values["is_active"] = False
    values["password"] = make_password(None)
    model._default_manager.filter(pk=user.pk).update(**values)


@transaction.atomic
def erase_account(
    record: ErasureRecord, *, now: datetime | None = None
) -> ErasureRecord:
    """Run every category's erasure for the customer; record counts, never the data."""
    now = now or timezone.now()
    record = ErasureRecord.objects.select_for_update().get(pk=record.pk)
    if record.erased_at is not None:
        raise ValidationError(
            _("This account was already erased; nothing was changed.")
        )
    if record.cancelled_at is not None:
        raise ValidationError(_("This closure was cancelled; nothing was erased."))
    if record.erase_after > now:
        raise ValidationError(_("The cool-off has not ended yet."))
    user: Any = record.customer
    counts: dict[str, dict[str, Any]] = {}
    for category in registry:
        if category.model is type(user) and not category.subject:
            continue  # the account row itself is anonymised last, below
        try:
            done = category.erase(user)
        except ClosureNotDue:
            # PostgreSQL counts the cool-off with its own clock; the next run retries.
            raise ValidationError(
                _("The cool-off has not ended yet by the database's clock.")
            ) from None
        kept = (
            category.for_subject(user).count()
            if category.erasure == Erasure.RETAIN
            else 0
        )
        counts[category.key] = {"mode": category.erasure, "rows": done, "kept": kept}
    _anonymise_user(user)
    counts["account"] = {"mode": Erasure.ANONYMISE, "rows": 1, "kept": 0}
    # The new (unusable) password changes the session hash: every session ends.
    record.erased_at = now
    record.counts = counts
    record.save(update_fields=["erased_at", "counts"])
    return record


def erase_due_accounts(now: datetime | None = None) -> int:
    """Erase every account whose cool-off has ended (purge_expired and the task call this)."""
    now = now or timezone.now()
    erased = 0
    for record in ErasureRecord.objects.due(now):
        try:
            erase_account(record, now=now)
        except ValidationError:
            continue  # another worker got there first
        erased += 1
    return erased


def purge_expired(now: datetime | None = None) -> dict[str, int]:
    """Retention purge: due account erasures, expired export files, then every category's
    own period; returns the count per step (``accounts``, ``exports``, category keys)."""
    now = now or timezone.now()
    # PDPA s.33: accounts whose cool-off has ended are erased here too, so erasure
    # never waits for a deferred task (the 30 days are kept even if none runs).
    counts = {
        "accounts": erase_due_accounts(now),
        "exports": purge_expired_exports(now),
    }
    for category in registry:
        counts[category.key] = category.purge_expired(now)
    return counts


# Daily maintenance runs at a quiet hour, Bangkok time.
DAILY_MAINTENANCE_HOUR = 3


def next_maintenance_at(now: datetime | None = None) -> datetime:
    """Tomorrow at DAILY_MAINTENANCE_HOUR, Bangkok time."""
    tomorrow = timezone.localtime(now or timezone.now()) + timedelta(days=1)
    return tomorrow.replace(
        hour=DAILY_MAINTENANCE_HOUR, minute=0, second=0, microsecond=0
    )


def can_schedule_maintenance() -> bool:
    """Whether the task backend is the database queue, which can hold a run for later."""
    from django_tasks_db import DatabaseBackend

    from policy.tasks import run_daily_maintenance

    return isinstance(run_daily_maintenance.get_backend(), DatabaseBackend)


def schedule_daily_maintenance(*, run_after: datetime | None = None) -> bool:
    """Queue the daily maintenance task unless a run is already waiting; True if queued.

    Only the database backend can hold a run for later; with any other backend this
    does nothing (run ``purge_expired`` and ``send_password_reminders`` from cron).
    A duplicate queued by two concurrent callers heals itself: the first run sees the
    other waiting and does not queue another.
    """
    from django_tasks_db.models import DBTaskResult

    from policy.tasks import run_daily_maintenance

    task = run_daily_maintenance
    if not can_schedule_maintenance():
        return False
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=task.module_path
    )
    if waiting.exists():
        return False
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue()
    return True


def record_breach(**fields: Any) -> Breach:
    """Record a breach; the detection time and the moment of awareness are required."""
    if not fields.get("detected_at"):
        raise ValidationError({"detected_at": _("Say when the breach was detected.")})
    fields.setdefault("became_aware_at", fields["detected_at"])
    customers = fields.pop("affected_customers", None)
    breach = Breach(**fields)
    breach.full_clean(exclude=["affected_customers"])
    breach.save()
    if customers is not None:
        breach.affected_customers.set(customers)
    return breach


def notify_breach(breach: Breach) -> int:
    """Queue one email per affected active customer not yet told; return how many were queued."""
    from policy.tasks import send_breach_notice

    told = BreachNotice.objects.filter(breach=breach).values("customer_id")
    ids = list(
        breach.affected_customers.filter(is_active=True)
        .exclude(pk__in=told)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        transaction.on_commit(
            lambda pk=pk: send_breach_notice.enqueue(breach.pk, pk)  # type: ignore[misc]
        )
    return len(ids)


def send_breach_notice(breach: Breach, customer: User) -> bool:
    """Email ``customer`` about ``breach`` in their language, once."""
    try:
        with transaction.atomic():
            _notice, created = BreachNotice.objects.get_or_create(
                breach=breach, customer=customer
            )
            if created:
                categories = [
                    registry[key].name
                    for key in breach.categories
                    if key in {c.key for c in registry}
                ]
                _send(
                    customer,
                    "breach_notice",
                    {"breach": breach, "categories": categories},
                )
    except IntegrityError:
        return False
    return created
