"""Numbers stay gapless and unique when many issuers work at once (PostgreSQL, own connections)."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from billing import services
from billing.models import Document
from tests.billing.conftest import HOSTING
from tests.factories import BillingProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)

ISSUERS = 8
PER_ISSUER = 10


def _issue_many(profile_pk: int, count: int) -> list[str]:
    from billing.models import BillingProfile

    try:
        profile = BillingProfile.objects.get(pk=profile_pk)
        return [
            services.create_billing_note(profile, lines=HOSTING).number
            for _ in range(count)
        ]
    finally:
        connections.close_all()  # this thread's own connection


@pytest.fixture
def database_queue(settings):
    """The production backend: render tasks wait in the database for a worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def test_parallel_issuers_get_gapless_unique_numbers(
    postgres, vat_rate, database_queue
):
    """Group commit (billing.numbering): each issuer gets its own number, in issue order."""
    from django_tasks_db.models import DBTaskResult

    from billing.tasks import render_document

    profile = BillingProfileFactory()
    with ThreadPoolExecutor(max_workers=ISSUERS) as pool:
        results = list(
            pool.map(_issue_many, [profile.pk] * ISSUERS, [PER_ISSUER] * ISSUERS)
        )
    numbers = sorted(number for batch in results for number in batch)
    total = ISSUERS * PER_ISSUER
    assert len(set(numbers)) == total
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(
        range(1, total + 1)
    )
    assert Document.objects.issued().count() == total
    assert not Document.objects.drafts().exists()
    # Exactly one render task per note, queued with it.
    queued = sorted(
        row.args_kwargs["args"][0]
        for row in DBTaskResult.objects.filter(task_path=render_document.module_path)
    )
    assert queued == sorted(Document.objects.values_list("pk", flat=True))


def _credit(pk: int) -> str:
    try:
        original = Document.objects.get(pk=pk)
        services.issue_adjustment(
            original,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=Decimal("0.00"),  # credit all that remains
            reason_code=Document.Reason.CDNS04,
        )
        return "issued"
    except Exception as error:  # noqa: BLE001 - the losers are expected to be refused
        return type(error).__name__
    finally:
        connections.close_all()


def test_parallel_credits_never_exceed_what_remains(postgres, vat_rate):
    import datetime

    profile = BillingProfileFactory()
    note = services.create_billing_note(profile, lines=HOSTING)  # 3,250.50
    invoice = services.record_payment(
        note, received_on=datetime.date(2026, 11, 25), net_received=note.total
    ).tax_invoices.get()
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(_credit, [invoice.pk] * 6))
    # The original row is locked: one credit takes the remainder, the others are refused.
    assert outcomes.count("issued") == 1
    assert outcomes.count("ValidationError") == 5
    assert services.current_value(invoice) == Decimal("0.00")
    assert connection.vendor == "postgresql"


def _post_same_key(args: tuple[int, str]) -> tuple[int, str]:
    from rest_framework.test import APIClient

    customer_id, raw = args
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        response = client.post(
            "/api/v1/invoices/",
            {
                "customer_id": customer_id,
                "lines": [{"description": "VPS", "quantity": "1", "unit_price": "100"}],
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="same-key",
        )
        return response.status_code, response.json().get("number", "")
    finally:
        connections.close_all()


def test_parallel_requests_with_one_idempotency_key_issue_once(postgres, vat_rate):
    from accounts.models import ServiceToken
    from billing.models import NumberSeries

    profile = BillingProfileFactory()
    _token, raw = ServiceToken.issue(name="engine", scopes=["billing"])
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(_post_same_key, [(profile.customer_id, raw)] * 6))
    assert [status for status, _number in outcomes].count(201) == 1
    assert {status for status, _number in outcomes} <= {200, 201}
    assert len({number for _status, number in outcomes}) == 1
    assert Document.objects.count() == 1
    # The losers rolled back before taking a number: no gap.
    assert NumberSeries.objects.get().last_number == 1
