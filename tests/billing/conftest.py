"""Billing fixtures: profiles for the personas and documents issued through the services."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from billing import services
from billing.models import VatRate
from tests.factories import BillingProfileFactory

# The billing tests' today: a Wednesday in November 2569, 10:00 in Bangkok.
TODAY = datetime.date(2026, 11, 25)
BANGKOK = datetime.timezone(datetime.timedelta(hours=7))


@pytest.fixture(autouse=True)
def billing_clock():
    """A fixed clock (that ticks), so dates and series years do not depend on the day run."""
    with time_machine.travel(
        datetime.datetime(2026, 11, 25, 10, 0, tzinfo=BANGKOK), tick=True
    ) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def vat_rate(db):
    """7 % in force (transactional tests flush the row the data migration made)."""
    rate, _created = VatRate.objects.get_or_create(
        valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal("7.00")}
    )
    return rate


@pytest.fixture
def alice_profile(alice):
    return BillingProfileFactory(customer=alice, legal_name="บริษัท อลิซ คลาวด์ จำกัด")


@pytest.fixture
def bob_profile(bob):
    return BillingProfileFactory(
        customer=bob, legal_name="บ็อบ โจนส์", tax_id="3100600445635", branch="00001"
    )


def lines(*items: tuple[str, str, str]) -> list[services.LineInput]:
    return [
        services.LineInput(description, Decimal(quantity), Decimal(price))
        for description, quantity, price in items
    ]


HOSTING = lines(
    ("บริการคลาวด์เซิร์ฟเวอร์ รายเดือน", "2", "1500.00"),
    ("พื้นที่สำรองข้อมูล 100 GB", "1", "250.50"),
)


@pytest.fixture
def billing_note(alice_profile, django_capture_on_commit_callbacks):
    # The PDF task runs on commit, as it does in production.
    with django_capture_on_commit_callbacks(execute=True):
        note = services.create_billing_note(alice_profile, lines=HOSTING)
    note.refresh_from_db()
    return note


@pytest.fixture
def tax_invoice(billing_note, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.record_payment(
            billing_note,
            received_on=billing_note.issued_on,
            net_received=billing_note.total,
        )
    return payment.tax_invoices.get()


@pytest.fixture
def etda(settings):
    """ETDA's e-Tax v2.1 release beside the project (../shared/etda/), or skip (fail in CI).

    Returns the folder holding ETDA's validate.py; settings.ETAX_SCHEMA_DIR points at
    its schemas, so the app validates against them and maps addresses with its code lists.
    """
    import os
    from pathlib import Path

    from django.conf import settings as django_settings

    from tests.conftest import skip_or_fail

    folder = Path(
        os.environ.get(
            "ETDA_DIR", str(django_settings.BASE_DIR.parent / "shared" / "etda")
        )
    )
    if not (folder / "validate.py").exists():
        skip_or_fail(f"ETDA's e-Tax schemas and validator are not at {folder}")
    settings.ETAX_SCHEMA_DIR = folder / "e-tax-invoice-receipt-v2.1"
    return folder
