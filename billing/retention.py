"""How long a tax document is kept, and the purge that removes it afterwards.

Revenue Code s.87/3 and Accounting Act s.14: tax documents are kept 5 years counted from
the end of the accounting period in which they were issued (the fiscal year ends on
``BILLING_FISCAL_YEAR_END``, 31 December by default), never from the issue date. A
document issued on 10 January 2020 is kept through 31 December 2025.

On PostgreSQL the owner's ``billing_purge_expired()`` (migration 0006) applies the rule
with the database's clock and its own copy of the fiscal year end, so the application's
role can neither delete an issued document itself nor shorten the period; the same rule
in Python serves SQLite. Either way a document that a kept document still cites (its
tax invoice, a credit note of a later period) stays with it.
"""

from datetime import date, datetime

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Document, Payment

YEARS_KEPT = 5


def fiscal_year_end() -> tuple[int, int]:
    """(month, day) on which the accounting period ends."""
    month, day = settings.BILLING_FISCAL_YEAR_END.split("-")
    return int(month), int(day)


def period_end(issued_on: date) -> date:
    """The last day of the accounting period in which ``issued_on`` falls."""
    month, day = fiscal_year_end()
    end = date(issued_on.year, month, day)
    return end if end >= issued_on else date(issued_on.year + 1, month, day)


def retained_until(issued_on: date) -> date:
    """The last day a document issued on ``issued_on`` must be kept."""
    end = period_end(issued_on)
    return end.replace(year=end.year + YEARS_KEPT)


def purge_expired_documents(now: datetime | None = None) -> int:
    """Delete issued documents (with lines and payments) kept past their period; return how many.

    On PostgreSQL the database decides with its own clock and ``now`` is not used: the
    application cannot hand the purge an earlier cutoff. The PDF files go after commit.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT document_id, pdf FROM billing_purge_expired()")
                removed = cursor.fetchall()
        else:
            removed = _purge_in_python(timezone.localdate(now or timezone.now()))
        # One row per file: a document's PDF, its cancelled rendering, a certificate.
        files = [pdf for _pk, pdf in removed if pdf]
        if files:
            transaction.on_commit(lambda: _delete_files(files))
    return len({pk for pk, _pdf in removed})


def _purge_in_python(today: date) -> list[tuple[int, str]]:
    # Only a document issued 5 or more calendar years ago can be past its period.
    candidates = (
        Document.objects.exclude(status=Document.Status.DRAFT)
        .filter(issued_on__lt=date(today.year - YEARS_KEPT + 1, 1, 1))
        .values_list("pk", "issued_on")
    )
    doomed = {
        pk
        for pk, issued_on in candidates
        if issued_on and retained_until(issued_on) < today
    }
    doomed -= _held_documents(doomed)
    while doomed:
        citing = Document.objects.exclude(pk__in=doomed).filter(
            Q(billing_note__in=doomed)
            | Q(original__in=doomed)
            | Q(replaces__in=doomed)
            | Q(payment__billing_note__in=doomed)
        )
        cited: set[int | None] = set()
        for row in citing.values_list(
            "billing_note_id", "original_id", "replaces_id", "payment__billing_note_id"
        ):
            cited.update(row)
        if not cited & doomed:
            break
        doomed -= cited
    documents = Document.objects.filter(pk__in=doomed).order_by("pk")
    removed: list[tuple[int, str]] = []
    for pk, pdf, cancelled_pdf in documents.values_list("pk", "pdf", "cancelled_pdf"):
        removed.append((pk, pdf))
        if cancelled_pdf:
            removed.append((pk, cancelled_pdf))
    removed += [
        (note_pk, name)
        for note_pk, name in Payment.objects.filter(billing_note__in=doomed)
        .exclude(certificate_pdf="")
        .values_list("billing_note_id", "certificate_pdf")
    ]
    Document.objects.filter(pk__in=doomed).delete_for_retention_purge()
    return removed


def _held_documents(candidates: set[int]) -> set[int]:
    """Documents a legal hold keeps (policy.services.holds; on PostgreSQL the owner's
    purge asks ``policy_held()`` instead)."""
    from policy.registry import registry
    from policy.services.holds import held_q

    held = held_q(registry["billing-document"])
    if held is None or not candidates:
        return set()
    return set(
        Document.objects.filter(pk__in=candidates)
        .filter(held)
        .values_list("pk", flat=True)
    )


def _delete_files(names: list[str]) -> None:
    storage = storages["private"]
    for name in names:
        storage.delete(name)
