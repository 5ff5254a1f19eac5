"""PDF rendering of a one-page Thai invoice: the app's path beside raw WeasyPrint.

`make bench BENCH_ARGS=billing_pdf` (BILLING_BENCH_RENDERS=50 by default). No database
needed: the document is built in memory. Reports the first (cold) render, median and
worst of the warm renders, and peak Python memory of one render, for both paths.
"""

import datetime
import io
import logging
import os
import resource
import statistics
import time
import tracemalloc
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


def _peak_kib(func) -> float:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    func()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 1024, 1)


def run() -> dict:
    from pypdf import PdfReader
    from weasyprint import HTML

    from billing.pdf import document_html, render_pdf
    from onespace.pdf import FONT_DIR

    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.WARNING)
    renders = int(os.environ.get("BILLING_BENCH_RENDERS", "50"))
    document, lines = _document()
    one_page = (False,)

    def app() -> bytes:
        return render_pdf(document, copies=one_page, lines=lines)

    html = document_html(document, copies=one_page, lines=lines)

    def raw() -> bytes:
        # Plain WeasyPrint on the same HTML and fonts: no template, no text-layer fix.
        return HTML(string=html, base_url=str(FONT_DIR)).write_pdf()

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
        "app_peak_python_memory_kib": _peak_kib(app),
        "raw_peak_python_memory_kib": _peak_kib(raw),
        "process_max_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "debug": settings.DEBUG,
    }
    for key, value in result.items():
        print(f"  {key:32} {value}")
    return result
