"""PDF rendering of a one-page Thai invoice: the app's path beside raw WeasyPrint.

`make bench BENCH_ARGS=billing_pdf` (BILLING_BENCH_RENDERS=50 by default). No database
needed: the document is built in memory. Reports the first (cold) render, median and
worst of the warm renders, and the peak resident memory of a process that renders
BILLING_BENCH_RSS_RENDERS (10) times, for both paths. Goals (issue 12): median and peak
RSS of the app at most 1.10 × raw WeasyPrint on the same HTML.
"""

import datetime
import io
import logging
import multiprocessing
import os
import resource
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings


def _document():  # type: ignore[no-untyped-def]
    from billing import arithmetic, services
    from billing.models import Document, DocumentLine

    rows = [
        ("บริการคลาวด์เซิร์ฟเวอร์ รายเดือน (4 vCPU, 8 GB)", "2", "1500.00"),
        ("พื้นที่จัดเก็บข้อมูลแบบบล็อก 500 GB", "1", "750.00"),
        ("สำรองข้อมูลรายวัน", "30", "12.50"),
        ("หมายเลขไอพีสาธารณะเพิ่มเติม", "2", "100.00"),
    ]
    lines = [
        DocumentLine(description=d, quantity=Decimal(q), unit_price=Decimal(p))
        for d, q, p in rows
    ]
    totals = arithmetic.totals(
        ((line.quantity, line.unit_price) for line in lines), Decimal(7)
    )
    document = Document(
        kind=Document.Kind.TAX_INVOICE,
        status=Document.Status.ISSUED,
        number="RT2569-000123",
        issued_on=datetime.date(2026, 11, 25),
        vat_rate=Decimal("7.00"),
        subtotal=totals.subtotal,
        vat_amount=totals.vat_amount,
        total=totals.total,
        buyer_name="บริษัท ตัวอย่าง คลาวด์ จำกัด",
        buyer_address="99/1 ถนนพหลโยธิน แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400",
        buyer_tax_id="0107536000315",
        buyer_branch="00000",
        **services.seller_snapshot(),
    )
    return document, lines


def _time_interleaved(first, second, count: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Alternate the two paths so machine noise falls on both alike."""
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for func, into in ((first, timings[0]), (second, timings[1])):
            start = time.perf_counter()
            func()
            into.append((time.perf_counter() - start) * 1000)
    return timings


# The function a forked child runs; set just before the fork (fork copies it).
_child_renders: Callable[[], object] | None = None


def _render_in_child(count: int) -> int:
    """Peak resident set of a child process after ``count`` renders, in KiB (Linux)."""
    assert _child_renders is not None
    for _ in range(count):
        _child_renders()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_rss_mib(func: Callable[[], object], count: int) -> float:
    """Peak RSS of a forked process rendering ``count`` times: the process, not tracemalloc."""
    global _child_renders
    _child_renders = func
    context = multiprocessing.get_context("fork")
    with context.Pool(1, maxtasksperchild=1) as pool:
        peak = pool.apply(_render_in_child, (count,))
    return round(peak / 1024, 1)


# Issuing refuses the example seller outside DEBUG; the benchmark is a seller of its own.
BENCH_SELLER = {"name": "บริษัท เบนช์มาร์ก จำกัด", "tax_id": "0105558000014"}


def run() -> dict:
    settings.BILLING_SELLER = {**settings.BILLING_SELLER, **BENCH_SELLER}
    from pypdf import PdfReader
    from weasyprint import HTML

    from billing.pdf import PDF_VARIANT, document_html, render_pdf
    from onespace.pdf import FONT_DIR

    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.WARNING)
    renders = int(os.environ.get("BILLING_BENCH_RENDERS", "50"))
    rss_renders = int(os.environ.get("BILLING_BENCH_RSS_RENDERS", "10"))
    document, lines = _document()
    one_page = (False,)

    def app() -> bytes:
        return render_pdf(document, copies=one_page, lines=lines)

    html = document_html(document, lines=lines)

    def raw() -> bytes:
        # Plain WeasyPrint on the same HTML and fonts, the same PDF/A-3b variant (e-Tax):
        # no template, no text-layer fix.
        return HTML(string=html, base_url=str(FONT_DIR)).write_pdf(
            pdf_variant=PDF_VARIANT
        )

    # Peak memory first, in fresh children forked before this process renders anything.
    app_rss = _peak_rss_mib(app, rss_renders)
    raw_rss = _peak_rss_mib(raw, rss_renders)
    # Cold: the first render of the process loads the template and fonts.
    start = time.perf_counter()
    data = app()
    cold_ms = (time.perf_counter() - start) * 1000
    pages = len(PdfReader(io.BytesIO(data)).pages)
    raw()  # warm the raw path too
    app_ms, raw_ms = _time_interleaved(app, raw, renders)
    result = {
        "renders": renders,
        "pages": pages,
        "pdf_bytes": len(data),
        "cold_first_render_ms": round(cold_ms, 1),
        "app_median_ms": round(statistics.median(app_ms), 1),
        "app_worst_ms": round(max(app_ms), 1),
        "raw_weasyprint_median_ms": round(statistics.median(raw_ms), 1),
        "raw_weasyprint_worst_ms": round(max(raw_ms), 1),
        "app_over_raw_median": round(
            statistics.median(app_ms) / statistics.median(raw_ms), 3
        ),
        "app_process_peak_rss_mib": app_rss,
        "raw_process_peak_rss_mib": raw_rss,
        "app_over_raw_peak_rss": round(app_rss / raw_rss, 3),
        "debug": settings.DEBUG,
    }
    for key, value in result.items():
        print(f"  {key:32} {value}")
    return result
