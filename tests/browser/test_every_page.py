"""Every customer page, and the staff dashboard and log lists, in a real browser.

At 360 px (a phone) and 1280 px, in Thai and English, each page is photographed
(full page, PNG) into SCREENSHOT_DIR, or CI_ARTIFACTS_DIR/screenshots, or a new
temporary directory whose path the test prints; then the page must:

* not scroll sideways (``document.documentElement.scrollWidth > innerWidth``);
* in Thai, show none of the English fragments below (untranslated strings);
* pass axe-core (bundled by the ``axe-playwright-python`` package, injected through
  Playwright, which the CSP does not stop) with no serious or critical violation.

All failures of one language and width are gathered and reported together.
"""

import os
import re
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from auditlog import buffer, services
from support.models import Ticket
from tests.factories import BillingProfileFactory, CustomerFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": (360, 740), "desktop": (1280, 800)}

# Text a Thai page must not show: the English of our own templates, forms and
# Django's defaults. Whole words, case-sensitive, matched in the visible text.
ENGLISH_FRAGMENTS = (
    "Sign in",
    "Sign out",
    "Sign up",
    "Password",
    "Submit",
    "Filter",
    "Previous",
    "Next",
    "Not Found",
    "This field is required",
    "Select an option",
    "Save",
    "Cancel",
    "Delete",
    "Download",
    "Home",
    "Profile",
    "Activity",
    "Billing",
    "Support",
    "Privacy",
    "Your",
    "You",
    "Please",
    "Nothing to show",
    "per day",
    "Node events",
    "Total",
    "Day",
)
# And in Thai admin: Django's and django-axes' strings the project catalogue completes.
ADMIN_FRAGMENTS = (
    "Show counts",
    "Access attempts",
    "Access failures",
    "Run",
    "selected",
)

# Allowed English in Thai pages: names, codes and units that are English in Thai too,
# and the English name the Thai notice itself gives in brackets.
ALLOWED = (
    "(Privacy Policy)",
    "OneSpace",
    "PDPA",
    "TOTP",
    "API",
    "PDF",
    "CSV",
    "JSON",
    "IP",
)


def _screenshot_dir() -> Path:
    if configured := os.environ.get("SCREENSHOT_DIR"):
        path = Path(configured)
    elif artifacts := os.environ.get("CI_ARTIFACTS_DIR"):
        path = Path(artifacts) / "screenshots"
    else:
        path = Path(tempfile.mkdtemp(prefix="onespace-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sign_in(context, live_server, user, *, second_factor=False) -> None:
    client = Client()
    client.force_login(user)
    if second_factor:
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def _seed_customer():
    customer = CustomerFactory(email="somchai@example.com", full_name="สมชาย ใจดี")
    now = timezone.now()
    services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": now - timedelta(days=days),
                "node_id": "node-7f3a",
                "customer_id": customer.pk,
                "action": action,
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
            for days, action in ((10, "create"), (3, "start"), (1, "reboot"))
        ]
    )
    buffer.flush()
    BillingProfileFactory(customer=customer)
    ticket = Ticket.objects.create(
        customer=customer, kind=Ticket.Kind.PROBLEM, subject="เครื่องเปิดไม่ติด"
    )
    return customer, ticket


def _customer_pages(ticket) -> list[str]:
    return [
        "/accounts/",
        "/accounts/profile/",
        "/accounts/password/",
        "/privacy/",
        "/privacy/versions/",
        "/privacy/versions/1/",
        "/privacy/me/",
        "/privacy/my-data/",
        "/privacy/my-data/close/",
        "/activity/",
        "/activity/sign-ins/",
        "/activity/access/",
        "/activity/grants/",
        "/activity/grants/new/?node_id=node-7f3a",
        "/billing/",
        "/billing/profiles/",
        "/billing/profiles/new/",
        "/billing/documents/",
        "/support/",
        "/support/tickets/new/",
        f"/support/tickets/{ticket.pk}/",
    ]


ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/privacy/",
]

STAFF_PAGES = [
    "/admin/dashboard/",
    "/admin/dashboard/?days=90",
    "/admin/auditlog/accesslog/",
    "/admin/auditlog/securityevent/",
    "/admin/auditlog/nodeevent/",
]


def _english_in(text: str, fragments: tuple[str, ...] = ENGLISH_FRAGMENTS) -> list[str]:
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    return [
        fragment
        for fragment in fragments
        if re.search(rf"(?<![A-Za-z]){re.escape(fragment)}(?![A-Za-z])", text)
    ]


def _check(
    page, url, language, width_name, directory, *, axe_check=True, admin=False
) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    problems: list[str] = []
    response = page.goto(url)
    page.wait_for_load_state("load")
    where = f"{url} [{language}, {width_name}]"
    if response is None or response.status >= 400:
        problems.append(f"{where}: status {response and response.status}")
    if (lang := page.locator("html").get_attribute("lang")) != language:
        problems.append(f"{where}: <html lang={lang!r}>")
    name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
    page.screenshot(
        path=str(directory / f"{name}.{language}.{width_name}.png"), full_page=True
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{where}: scrolls sideways by {overflow}px")
    if language == "th":
        fragments = ENGLISH_FRAGMENTS + (ADMIN_FRAGMENTS if admin else ())
        english = _english_in(page.locator("body").inner_text(), fragments)
        if english:
            problems.append(f"{where}: English in the Thai page: {english}")
    if axe_check:
        results = Axe().run(page)
        for violation in results.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in violation["nodes"]][:3]
                problems.append(
                    f"{where}: axe {violation['impact']} {violation['id']}: "
                    f"{violation['help']} {targets}"
                )
    return problems


@pytest.mark.parametrize("width_name", WIDTHS)
@pytest.mark.parametrize("language", ["th", "en"])
def test_customer_pages_fit_read_in_the_language_and_pass_axe(
    browser, live_server, language, width_name
):
    customer, ticket = _seed_customer()
    directory = _screenshot_dir()
    print(f"\nscreenshots: {directory}")
    width, height = WIDTHS[width_name]
    problems: list[str] = []

    visitor = browser.new_context(
        locale="th-TH",
        base_url=live_server.url,
        viewport={"width": width, "height": height},
    )
    visitor.add_cookies(
        [{"name": "onespace_language", "value": language, "url": live_server.url}]
    )
    page = visitor.new_page()
    for url in ANONYMOUS_PAGES:
        problems += _check(page, url, language, width_name, directory)
    visitor.close()

    context = browser.new_context(
        locale="th-TH",
        base_url=live_server.url,
        viewport={"width": width, "height": height},
    )
    context.add_cookies(
        [{"name": "onespace_language", "value": language, "url": live_server.url}]
    )
    customer.language = language
    customer.save(update_fields=["language"])
    _sign_in(context, live_server, customer)
    page = context.new_page()
    for url in _customer_pages(ticket):
        problems += _check(page, url, language, width_name, directory)
    context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", ["th", "en"])
def test_staff_dashboard_and_log_lists_fit_a_1280_screen(
    browser, live_server, language
):
    _seed_customer()
    directory = _screenshot_dir()
    print(f"\nscreenshots: {directory}")
    auditor = StaffFactory(email="auditor@onespace.test", full_name="ผู้ตรวจสอบ")
    from django.contrib.auth.models import Group

    auditor.groups.add(Group.objects.get_or_create(name=roles.SECURITY_AUDITOR)[0])
    auditor.language = language
    auditor.save(update_fields=["language"])
    context = browser.new_context(
        locale="th-TH",
        base_url=live_server.url,
        viewport={"width": 1280, "height": 800},
    )
    context.add_cookies(
        [{"name": "onespace_language", "value": language, "url": live_server.url}]
    )
    _sign_in(context, live_server, auditor, second_factor=True)
    page = context.new_page()
    problems: list[str] = []
    for url in STAFF_PAGES:
        # Admin's own lists are Django's; our dashboard passes axe like customer pages.
        problems += _check(
            page,
            url,
            language,
            "desktop",
            directory,
            axe_check=url.startswith("/admin/dashboard/"),
            admin=True,
        )
    context.close()
    assert problems == [], "\n".join(problems)


def test_english_fragment_check_catches_english():
    assert _english_in("ชื่อ Save รหัสผ่าน") == ["Save"]
    assert _english_in("OneSpace ตามกฎหมาย PDPA") == []
    assert _english_in("Saved") == []
