"""Issuing throughput with parallel issuers on PostgreSQL (one process, one connection each).

`DATABASE_URL=postgres://... make bench BENCH_ARGS=billing_issue`. Runs in a throwaway
test database (created, migrated, then dropped), so it never touches real numbers.
BILLING_BENCH_ISSUES (default 200) documents are issued per run, split over 1, 2, 4 and 8
issuers; every run checks that its numbers are gapless and unique. The baseline inserts
the same document and line rows, one transaction each, without a number, a lock or a
render task. Issuing goes through `services.create_billing_note` outside a transaction,
as the API does: the group-commit path of billing.numbering.
"""

import multiprocessing
import os
import time
from decimal import Decimal

from django.conf import settings
from django.db import connection, connections, transaction

ISSUERS = (1, 2, 4, 8)


def _issue(args: tuple[int, int]) -> int:
    from billing import services
    from billing.models import BillingProfile

    profile_pk, count = args
    profile = BillingProfile.objects.get(pk=profile_pk)
    lines = [
        services.LineInput("บริการคลาวด์เซิร์ฟเวอร์", Decimal(1), Decimal("1500.00")),
        services.LineInput("สำรองข้อมูล", Decimal(30), Decimal("12.50")),
    ]
    for _ in range(count):
        services.create_billing_note(profile, lines=lines)
    connections.close_all()
    return count


def _insert_without_numbering(args: tuple[int, int]) -> int:
    """Baseline: the same document and line rows, no counter lock, no number."""
    from billing.models import BillingProfile, Document, DocumentLine

    profile_pk, count = args
    profile = BillingProfile.objects.get(pk=profile_pk)
    for _ in range(count):
        with transaction.atomic():
            document = Document.objects.create(
                profile=profile, customer_id=profile.customer_id
            )
            DocumentLine.objects.bulk_create(
                [
                    DocumentLine(
                        document=document, description="a", quantity=1, unit_price=1500
                    ),
                    DocumentLine(
                        document=document,
                        description="b",
                        quantity=30,
                        unit_price=Decimal("12.50"),
                    ),
                ]
            )
    connections.close_all()
    return count


def _run_parallel(func, profile_pk: int, issuers: int, total: int) -> float:  # type: ignore[no-untyped-def]
    per = total // issuers
    connections.close_all()  # children open their own connections
    context = multiprocessing.get_context("fork")
    pool = context.Pool(issuers)
    start = time.perf_counter()
    done = sum(pool.map(func, [(profile_pk, per)] * issuers))
    elapsed = time.perf_counter() - start
    # close + join, not terminate: workers exit normally.
    pool.close()
    pool.join()
    return done / elapsed


# Issuing refuses the example seller outside DEBUG; the benchmark is a seller of its own.
BENCH_SELLER = {"name": "บริษัท เบนช์มาร์ก จำกัด", "tax_id": "0105558000014"}


def run() -> dict:
    settings.BILLING_SELLER = {**settings.BILLING_SELLER, **BENCH_SELLER}
    if connection.vendor != "postgresql":
        print(
            "  skipped: set DATABASE_URL=postgres://... (issuing throughput is measured on PostgreSQL)"
        )
        return {"skipped": "needs PostgreSQL"}
    total = int(os.environ.get("BILLING_BENCH_ISSUES", "200"))
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return _measure(total)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _measure(total: int) -> dict:
    import datetime

    from django_tasks_db.models import DBTaskResult

    from accounts.models import User
    from billing.models import BillingProfile, Document, NumberSeries, VatRate

    VatRate.objects.get_or_create(
        valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal(7)}
    )
    customer = User.objects.create_user(
        "bench@example.com", "x" * 12, full_name="Bench"
    )
    profile = BillingProfile.objects.create(
        customer=customer,
        legal_name="บริษัท ทดสอบ จำกัด",
        address_line="1 ถนนสีลม",
        subdistrict="สีลม",
        district="บางรัก",
        province="กรุงเทพมหานคร",
        postcode="10500",
        tax_id="0107536000315",
        email="bench@example.com",
        phone="021234567",
        is_default=True,
    )
    result: dict = {"documents_per_run": total}
    for issuers in ISSUERS:
        baseline = _run_parallel(_insert_without_numbering, profile.pk, issuers, total)
        Document.objects.drafts().delete()
        rate = _run_parallel(_issue, profile.pk, issuers, total)
        numbers = sorted(
            int(n.rsplit("-", 1)[1])
            for n in Document.objects.issued().values_list("number", flat=True)
        )
        gapless = numbers == list(range(1, len(numbers) + 1))
        result[f"{issuers}_issuers"] = {
            "issued_per_s": round(rate, 1),
            "baseline_inserts_per_s": round(baseline, 1),
            "issued_over_baseline": round(rate / baseline, 3),
            "gapless_unique": gapless,
        }
        print(
            f"  {issuers} issuers: {rate:8.1f} issued/s  (baseline {baseline:8.1f}/s)  gapless={gapless}"
        )
        # Start the next run from an empty series (the owner may truncate; the
        # retention guards refuse row deletes of issued documents).
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE billing_documentline, billing_document, "
                f"{DBTaskResult._meta.db_table} CASCADE"
            )
        NumberSeries.objects.all().delete()
    return result
