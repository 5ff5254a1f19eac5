"""Privacy rights (PDPA s.30–33): copies of a customer's data, account closure and erasure, retention purge."""

import secrets
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from policy.models import (
    ClosureNotDue,
    DataExport,
    ErasureRecord,
    pseudonym_of,
)
from policy.registry import Category, Erasure, overrides, registry
from policy.services.holds import held_expired, held_rows
from policy.services.mail import send_policy_email


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
    send_policy_email(
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
        lambda: send_policy_email(customer, "closure_scheduled", {"record": record})
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


def _anonymise_user(user: Any, *, keep_personal_fields: bool = False) -> None:
    """Replace the account's personal fields; the row stays for the records the law keeps.

    Under a legal hold on the account itself the fields stay as they are; the account
    is closed all the same (inactive, no usable password).
    """
    model = type(user)
    values: dict[str, Any] = {}
    if not keep_personal_fields:
        for category in registry:
            if category.model is model and not category.subject:
                values.update(category.anonymised_values())
        # The address is the sign-in name and must stay unique: an address that can
        # never receive mail (RFC 2606 .invalid) and names no one.
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
    account_held = False
    for category in registry:
        # A legal hold keeps its rows as they are; the erasure record says how many.
        held = held_rows(category, category.for_subject(user), now)
        if category.model is type(user) and not category.subject:
            account_held = account_held or bool(held)
            continue  # the account row itself is anonymised last, below
        try:
            if (
                held
                and category.erasure != Erasure.RETAIN
                and overrides(category, "erase")
            ):
                # Its own erasure cannot leave rows out: the category is kept whole.
                done = 0
            else:
                done = category.erase(user)  # the default erasure skips held rows
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
        if held:
            counts[category.key]["held"] = held
    _anonymise_user(user, keep_personal_fields=account_held)
    counts["account"] = {"mode": Erasure.ANONYMISE, "rows": 1, "kept": 0}
    if account_held:
        counts["account"]["held"] = 1
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
        held = held_expired(category, now)
        if held:
            # Reported: rows past their retention that a legal hold keeps.
            counts[f"held:{category.key}"] = held
        if held and overrides(category, "purge_expired"):
            # Its own purge (a hash chain, the database's function) cannot leave rows
            # out: it waits until the hold ends or is released.
            counts[category.key] = 0
            continue
        counts[category.key] = category.purge_expired(
            now
        )  # the default skips held rows
    return counts
