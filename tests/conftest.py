"""Shared fixtures: fast hashing, immediate tasks, personas, and a real browser."""

import os
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.db import connection

from accounts import roles
from tests import factories


def pytest_configure(config: pytest.Config) -> None:
    # Tests talk plain HTTP to the test client and live server; the production
    # defaults (HTTPS redirect, manifest static files) belong to deployment.
    django_settings.SECURE_SSL_REDIRECT = False
    # A seller of its own: outside DEBUG the example seller may not issue (billing).
    django_settings.BILLING_SELLER = {
        **django_settings.BILLING_SELLER,
        "name": "บริษัท วันสเปซ ทดสอบ จำกัด (OneSpace Test Co., Ltd.)",
        "tax_id": "0105558000014",
    }
    django_settings.STORAGES = {
        **django_settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


def skip_or_fail(reason: str) -> None:
    """Skip locally with a clear reason; in CI (CI=true) the missing piece is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: required here)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings, tmp_path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


@pytest.fixture
def postgres(db) -> None:
    """Require PostgreSQL: skip on SQLite locally, fail in CI."""
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")


# --- Personas -------------------------------------------------------------------------


@pytest.fixture
def alice(db):
    """A verified customer."""
    return factories.CustomerFactory(email="alice@example.com", full_name="Alice Smith")


@pytest.fixture
def bob(db):
    """Another verified customer, whose data Alice must never see."""
    return factories.CustomerFactory(email="bob@example.com", full_name="Bob Jones")


def _staff(role: str, email: str):
    group, _created = Group.objects.get_or_create(name=role)
    user = factories.StaffFactory(email=email, full_name=role)
    user.groups.add(group)
    return user


@pytest.fixture
def support_agent(db):
    return _staff(roles.SUPPORT, "support@onespace.test")


@pytest.fixture
def auditor(db):
    return _staff(roles.SECURITY_AUDITOR, "auditor@onespace.test")


@pytest.fixture
def finance(db):
    return _staff(roles.FINANCE, "finance@onespace.test")


@pytest.fixture
def privacy_officer(db):
    return _staff(roles.PRIVACY_OFFICER, "privacy@onespace.test")


@pytest.fixture
def staff_client(db):
    """Return a test client signed in as ``user`` with a verified second factor, as admin requires."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(user):
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make


# --- Browser --------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's Chromium driven by Playwright (browsers cannot be downloaded here)."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(
            f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("needs the playwright package")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in
    # the test body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser page (own cookies) in Thai, the portal's default language."""
    context = browser.new_context(locale="th-TH", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
