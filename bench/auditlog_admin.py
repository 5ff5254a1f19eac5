"""Admin access-log list at scale: 5 million rows against 10 thousand, and against stock admin.

    make bench BENCH_ARGS=auditlog_admin

Fills auditlog_accesslog on a PostgreSQL database of its own (generate_series; the
table is emptied with TRUNCATE first, which the append-only triggers allow) with
BENCH_ADMIN_SMALL (10000) rows, times four admin pages (first page, a one-day filter,
an IP search, the second page), then grows the table to BENCH_ADMIN_ROWS (5000000)
and times them again, beside Django's stock ModelAdmin of the same rows (exact
counts, date drill-down, LIKE search). Each page is rendered BENCH_ADMIN_REPEAT (5)
times in a Django process; the median counts. Target from issue 5: at most 1.5 times
slower at 5M than at 10k.
"""

import statistics
from typing import Any

from bench.auditlog_middleware import (
    django_script,
    ensure_database,
    env_int,
    migrate,
    settings_dir,
)

FILL = """
import json
from django.db import connection
start, stop, total = {start}, {stop}, {total}
with connection.cursor() as cursor:
    if start == 0:
        cursor.execute("TRUNCATE auditlog_accesslog")
    # Rows spread over the past year (fewer days for a small table, so that a day
    # still fills a page), one address per 256 rows, a thousand users.
    days = min(365, max(1, total // 200))
    cursor.execute(
        '''
        INSERT INTO auditlog_accesslog (occurred_at, user_id, ip, browser_family,
            browser_version, os_family, user_agent, method, path, status, duration_ms,
            prev_hash, hash)
        SELECT now() - make_interval(secs => (%s - g) * (%s * 86400.0 / %s)),
               g %% 1000 + 1,
               ('10.' || (g / 65536 %% 256) || '.' || (g / 256 %% 256) || '.1')::inet,
               'Chrome', '120.0', 'Linux', 'Mozilla/5.0 Chrome/120.0',
               CASE WHEN g %% 10 = 0 THEN 'POST' ELSE 'GET' END,
               '/activity/' || (g %% 50), 200, g %% 300,
               md5(g::text) || md5(g::text), md5((g + 1)::text) || md5((g + 1)::text)
        FROM generate_series(%s, %s - 1) AS g
        ''',
        [total, days, total, start, stop],
    )
    cursor.execute("ANALYZE auditlog_accesslog")
print(json.dumps({{"rows": stop}}))
"""

MEASURE = """
import json, statistics, time
from datetime import timedelta
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils import timezone
from auditlog.models import AccessLog

User = get_user_model()
root, _ = User.objects.get_or_create(
    email="bench-root@onespace.test",
    defaults={"full_name": "Bench", "is_staff": True, "is_superuser": True},
)


class StockAccessLogAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "user", "ip", "method", "path", "status")
    list_filter = ("method", "occurred_at")
    date_hierarchy = "occurred_at"
    search_fields = ("ip", "path", "user__email")
    list_select_related = ("user",)


stock_site = admin.AdminSite(name="stock")
ours = admin.site._registry[AccessLog]
stock = StockAccessLogAdmin(AccessLog, stock_site)
day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=20)
pages = {
    "first_page": {},
    "one_day": {"occurred_at__gte": str(day), "occurred_at__lt": str(day + timedelta(days=1))},
    "ip_search": {"q": "10.0.7.1"},
    "second_page": {"p": "1"},
}
stock_pages = dict(pages)
stock_pages["one_day"] = {"occurred_at__day": str(day.day), "occurred_at__month": str(day.month), "occurred_at__year": str(day.year)}
factory = RequestFactory()


def timed(model_admin, params):
    runs = []
    warm = factory.get("/admin/auditlog/accesslog/", params)
    warm.user = root
    model_admin.changelist_view(warm).render()  # templates and caches, untimed
    for _ in range(__REPEAT__):
        request = factory.get("/admin/auditlog/accesslog/", params)
        request.user = root
        started = time.perf_counter()
        response = model_admin.changelist_view(request)
        response.render()
        runs.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(runs)


result = {"ours": {name: timed(ours, p) for name, p in pages.items()}}
if __STOCK__:
    result["stock"] = {name: timed(stock, p) for name, p in stock_pages.items()}
print(json.dumps(result))
"""


def measure_code(repeat: int, *, stock: bool) -> str:
    return MEASURE.replace("__REPEAT__", str(repeat)).replace("__STOCK__", str(stock))


def run() -> dict:
    ensure_database()
    directory = settings_dir()
    migrate(directory)
    small = env_int("BENCH_ADMIN_SMALL", 10_000)
    big = env_int("BENCH_ADMIN_ROWS", 5_000_000)
    repeat = env_int("BENCH_ADMIN_REPEAT", 5)
    chunk = 1_000_000

    django_script(directory, FILL.format(start=0, stop=small, total=small))
    at_small = django_script(directory, measure_code(repeat, stock=False))
    for start in range(0, big, chunk):
        django_script(
            directory, FILL.format(start=start, stop=min(start + chunk, big), total=big)
        )
    at_big = django_script(directory, measure_code(repeat, stock=True))

    report: dict[str, Any] = {"rows_small": small, "rows_big": big, "pages": {}}
    for name, seconds in at_small["ours"].items():
        big_s = at_big["ours"][name]
        stock_s = at_big["stock"][name]
        report["pages"][name] = {
            "small_ms": round(seconds * 1000, 1),
            "big_ms": round(big_s * 1000, 1),
            "big_vs_small": round(big_s / seconds, 2),
            "stock_big_ms": round(stock_s * 1000, 1),
        }
        print(
            f"   {name:12s} {small:>9,} rows {seconds * 1000:7.1f} ms   {big:>9,} rows "
            f"{big_s * 1000:7.1f} ms  (x{big_s / seconds:.2f})   stock admin {stock_s * 1000:8.1f} ms"
        )
    report["worst_ratio"] = max(p["big_vs_small"] for p in report["pages"].values())
    report["median_ratio"] = statistics.median(
        p["big_vs_small"] for p in report["pages"].values()
    )
    report["target"] = 1.5
    return report
