"""Group commit (billing.numbering): a note written but not yet numbered is never a gap and never shown.

PostgreSQL with the production task queue (django-tasks-db): the issuer's first statement
commits the frozen note, its lines and its render task; a second, shared transaction
numbers it. A real process that dies between the two is the crash.
"""

import multiprocessing
import os

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from billing import numbering, services
from billing.models import Document, NumberSeries
from billing.tasks import render_document
from tests.billing.conftest import HOSTING
from tests.factories import BillingProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)

DIED = 17


@pytest.fixture
def database_queue(settings):
    """The production backend: render tasks wait in the database for a worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def _write_then_die(profile_pk: int) -> None:
    """Child process: the issuer's first statement, then death before the number."""
    try:
        from billing.models import BillingProfile

        profile = BillingProfile.objects.get(pk=profile_pk)
        document = Document(
            kind=Document.Kind.BILLING_NOTE,
            customer_id=profile.customer_id,
            profile=profile,
        )
        lines = services._prepare(
            document, HOSTING, issued_on=timezone.localdate(), rate=None
        )
        assert numbering.queues_in_insert(render_document)
        numbering.insert_pending(document, lines, render_task=render_document)
    finally:
        os._exit(DIED)  # no cleanup, no number: as if the machine lost the process


def _crash_after_writing(profile_pk: int) -> Document:
    connections.close_all()  # the child opens its own connection
    child = multiprocessing.get_context("fork").Process(
        target=_write_then_die, args=(profile_pk,)
    )
    child.start()
    child.join()
    assert child.exitcode == DIED
    return Document.objects.get()


def _render_tasks_for(document: Document) -> list[DBTaskResult]:
    return [
        row
        for row in DBTaskResult.objects.filter(task_path=render_document.module_path)
        if row.args_kwargs == {"args": [document.pk], "kwargs": {}}
    ]


def test_an_issuer_that_dies_before_its_number_leaves_no_gap_and_nothing_shown(
    postgres, database_queue, client
):
    profile = BillingProfileFactory()
    orphan = _crash_after_writing(profile.pk)
    # Written and frozen, but not issued: no number, no page, no listing, no counter.
    assert orphan.number is None
    assert orphan.status == Document.Status.DRAFT
    assert orphan.issued_at is not None
    assert not Document.objects.issued().exists()
    assert not Document.objects.visible_to(profile.customer).exists()
    client.force_login(profile.customer)
    assert client.get(f"/billing/documents/{orphan.pk}/").status_code == 404
    assert not NumberSeries.objects.filter(last_number__gt=0).exists()
    # Its render task was committed with it.
    assert len(_render_tasks_for(orphan)) == 1

    # The next issuer of the series numbers it too, first, as it was issued first.
    later = services.create_billing_note(profile, lines=HOSTING)
    orphan.refresh_from_db()
    assert (orphan.number, later.number) == ("BN2569-000001", "BN2569-000002")
    assert orphan.status == later.status == Document.Status.ISSUED
    assert NumberSeries.objects.get().last_number == 2
    assert len(_render_tasks_for(later)) == 1


def test_the_worker_numbers_an_orphaned_note_before_rendering_and_sending_it(
    postgres, database_queue
):
    profile = BillingProfileFactory()
    orphan = _crash_after_writing(profile.pk)
    (queued,) = _render_tasks_for(orphan)
    # The row written by hand in the note's statement is the row the backend writes.
    reference = render_document.enqueue(orphan.pk).db_result
    for field in ("task_path", "queue_name", "priority", "backend_name", "status"):
        assert getattr(queued, field) == getattr(reference, field), field
    assert queued.run_after == reference.run_after
    assert queued.worker_ids == reference.worker_ids == []
    reference.delete()

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    orphan.refresh_from_db()
    assert orphan.number == "BN2569-000001"
    assert orphan.is_issued
    assert str(orphan.pdf).endswith("BN2569-000001.pdf")
    (sent,) = mail.outbox
    assert sent.to == [orphan.buyer_email]
    assert [name for name, _content, _type in sent.attachments] == ["BN2569-000001.pdf"]
    assert NumberSeries.objects.get().last_number == 1


def test_a_vat_rate_change_is_seen_by_the_next_note_at_once(postgres, database_queue):
    """Issuing reuses the rate it last read only while the database confirms it."""
    import datetime
    from decimal import Decimal

    from billing.models import VatRate

    profile = BillingProfileFactory()
    before = services.create_billing_note(profile, lines=HOSTING)
    assert before.vat_rate == Decimal("7.00")
    VatRate.objects.filter(valid_until__isnull=True).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    VatRate.objects.create(valid_from=timezone.localdate(), rate=Decimal("10.00"))

    after = services.create_billing_note(profile, lines=HOSTING)

    after.refresh_from_db()
    assert after.vat_rate == Decimal("10.00")
    assert after.vat_amount == Decimal("325.05")  # 10 % of 3,250.50, half up
    assert after.number == "BN2569-000002"
    assert Document.objects.count() == 2


def test_finance_issuing_an_orphaned_note_numbers_it_as_written(
    postgres, database_queue, billing_clock
):
    """Admin's "issue the selected drafts" on a pending note keeps what was frozen."""
    import datetime

    profile = BillingProfileFactory()
    orphan = _crash_after_writing(profile.pk)
    written_at, total = orphan.issued_at, orphan.total
    billing_clock.shift(datetime.timedelta(minutes=5))

    issued = services.issue_document(orphan)

    assert issued.number == "BN2569-000001"
    issued.refresh_from_db()
    assert issued.is_issued
    assert (issued.issued_at, issued.total) == (written_at, total)
    assert NumberSeries.objects.get().last_number == 1
