"""Shared fixtures: fast hashing, immediate tasks, personas, database roles, a real browser."""

import os
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import TransactionTestCase

from accounts import roles
from onespace import db_roles
from tests import factories, owner


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
    # Rate-limit counters live in the shared cache (a table that transactional tests
    # do not empty): each test counts from zero under its own key prefix.
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex},
    }
    settings.AUDITLOG_ANCHOR_DIR = tmp_path / "anchors"
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


# --- PostgreSQL roles -----------------------------------------------------------------
#
# With DATABASE_OWNER_URL (CI, .ci/run) the suite runs as production does (README,
# Production): the test database is created, migrated and flushed (TRUNCATE, between
# transactional tests) as the owner, and every test body and every query of the
# application runs as the runtime role of DATABASE_URL, so a query that needs the
# owner's rights fails. Without it (a developer's single superuser URL) nothing changes.

OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")
_credentials: dict[str, dict[str, str]] = {}


def _connect_as(role: str) -> None:
    connection.close()
    connection.settings_dict.update(_credentials[role])


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """With DATABASE_OWNER_URL, the test database is created and migrated as the owner."""
    if not OWNER_URL:
        return
    from onespace.settings import database_from_url

    owner_database = database_from_url(OWNER_URL)
    _credentials["runtime"] = {k: connection.settings_dict[k] for k in CREDENTIALS}
    _credentials["owner"] = {k: owner_database[k] for k in CREDENTIALS}
    _connect_as("owner")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The plugin's setup (as the owner), then the runtime role's grants and the owner helper."""
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            owner.install_helper()
            if OWNER_URL:
                db_roles.grant_runtime(
                    connection,
                    owner=_credentials["owner"]["USER"],
                    runtime=_credentials["runtime"]["USER"],
                )
    if not OWNER_URL:
        yield
        return
    _connect_as("runtime")
    flush = TransactionTestCase._fixture_teardown

    def flush_as_owner(self: TransactionTestCase) -> None:
        _connect_as("owner")
        try:
            flush(self)
        finally:
            _connect_as("runtime")

    TransactionTestCase._fixture_teardown = flush_as_owner  # type: ignore[method-assign]
    yield
    TransactionTestCase._fixture_teardown = flush  # type: ignore[method-assign]
    _connect_as("owner")  # the plugin drops the test database as the owner


@pytest.fixture
def runtime_role(postgres) -> str:
    """The rest of the test runs as a role that owns nothing, with the runtime role's grants.

    That is DATABASE_URL's role when DATABASE_OWNER_URL is set (CI). When DATABASE_URL
    names a superuser, a role made inside the test's transaction (and rolled back with it).
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, pg_has_role(current_user, "
            "(SELECT relowner FROM pg_class WHERE oid = 'auditlog_accesslog'::regclass), "
            "'MEMBER') FROM pg_roles WHERE rolname = current_user"
        )
        user, is_superuser, is_owner = cursor.fetchone()
        if not is_owner:
            return user
        if not is_superuser:
            skip_or_fail(
                "needs a runtime role: set DATABASE_OWNER_URL (see .ci/run) or run "
                "as a PostgreSQL superuser"
            )
        name = f"{connection.settings_dict['NAME']}_runtime"[:63]
        cursor.execute(f"CREATE ROLE {quote(name)} NOLOGIN")
        db_roles.grant_runtime(connection, owner=user, runtime=name)
        cursor.execute(f"SET LOCAL ROLE {quote(name)}")
    return name


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
