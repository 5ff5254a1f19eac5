"""Settings for the OneSpace privacy portal.

One file, read top to bottom. Every value that differs between environments comes
from an environment variable with a safe default; a malformed value raises
ImproperlyConfigured at start-up instead of surfacing later as a strange error.
"""

import ipaddress
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), got {value!r}"
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, got {value!r}"
        ) from None


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def env_month_day(name: str, default: str) -> str:
    """A day of the year as MM-DD (29 February excluded: it is not in every year)."""
    value = os.environ.get(name) or default
    try:
        date.fromisoformat(f"2001-{value}")
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a day of the year as MM-DD (not 02-29), got {value!r}"
        ) from None
    return value


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} holds {item!r}, which is neither an IP address nor a CIDR"
            ) from None
    return networks


def env_rate(name: str, default: str) -> str:
    """A rate limit such as ``5/h``: a count per second, minute, hour or day."""
    value = os.environ.get(name) or default
    count, _sep, period = value.partition("/")
    if not count.isdigit() or period not in {"s", "m", "h", "d"}:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 5/m or 100/h (s, m, h, d), got {value!r}"
        )
    return value


def database_from_url(url: str) -> dict:
    """Turn a DATABASE_URL (postgres://user:pass@host:port/name or sqlite:///path) into Django's form."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative.db and sqlite:////absolute.db, as dj-database-url reads them.
        name = path[1:] if path.startswith("/") else path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or BASE_DIR / "db.sqlite3",
            # The web server and the task worker share the file: WAL and immediate
            # transactions keep them from tripping over each other's locks.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        if not parts.path.strip("/"):
            raise ImproperlyConfigured("DATABASE_URL names no database")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            # A connection per request costs PostgreSQL about four fifths of the
            # throughput, so connections persist and are checked before reuse.
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite://)"
    )


# --- Core -----------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)
# The fallback key only serves development; `check --deploy` flags it (security.W009).
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "django-insecure-onespace-development-key-not-for-production"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # django.contrib.admin, with the admin site that requires a second factor.
    "accounts.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Recovery codes: one-use codes shown once when a staff member enrols.
    "django_otp.plugins.otp_static",
    "django_tasks_db",
    "accounts",
    "policy",
    "auditlog",
    "billing",
    "support",
]

MIDDLEWARE = [
    # Requests by view and status with their latency, for /metrics (onespace.metrics).
    "onespace.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "auditlog.middleware.AccessLogMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Unverified email, a password over 90 days old, or staff without a verified
    # second factor: nothing works until fixed.
    "accounts.middleware.AccountGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions end after 30 idle minutes and 12 hours in all (after messages,
    # so the sign-in page can say why).
    "accounts.middleware.SessionLifetimeMiddleware",
    # Policy clause 3: a customer who has not accepted the notice in force is gated.
    "policy.middleware.NoticeGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # AxesMiddleware turns a lockout into the lockout page; it goes last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onespace.urls"
WSGI_APPLICATION = "onespace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "policy.context_processors.notice",
            ],
            # localdate / localdatetime: Buddhist-era dates on Thai pages, everywhere.
            "builtins": ["onespace.date_filters"],
        },
    },
]

# --- Database -------------------------------------------------------------------------

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "sqlite:///" + str(BASE_DIR / "db.sqlite3"))
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------

# The cache holds the rate-limit counters, so every worker must see the same one: the
# database by default (onespace.cache: Django's, with an atomic increment; the table is
# created by a migration), Redis when REDIS_URL is set (Django's own Redis backend).
# A per-process memory cache would let each worker count alone.
REDIS_URL = env_str("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "onespace",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "onespace.cache.DatabaseCache",
            "LOCATION": "onespace_cache",
            # Counters are keyed per address and account: room for many of them, and
            # culling (which would reset live counters) only in a flood.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Accounts and authentication ------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out pair never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.password_validation.RecentPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"

# Policy 1.1: users change their password every 3 months.
PASSWORD_MAX_AGE = timedelta(days=env_int("PASSWORD_MAX_AGE_DAYS", 90))
PASSWORD_REMINDER_BEFORE = timedelta(days=14)
PASSWORD_HISTORY_SIZE = 5
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=3)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Reverse proxies whose X-Forwarded-For may be believed (addresses or CIDRs).
# onespace.client_ip is the one place that reads it.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

# django-axes: 5 failures for one account from one address within 15 minutes lock
# that pair for 30 minutes. Axes has no failure window of its own (its cool-off
# decides both), so accounts.lockout counts failures from axes' failure log.
AXES_HANDLER = "accounts.lockout.FailureWindowHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
LOCKOUT_FAILURE_WINDOW = timedelta(minutes=15)
# Failures while locked do not stretch the lock beyond 30 minutes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Successful sign-ins are recorded by auditlog (with its retention); a second,
# never-purged copy in axes' access log would only add personal data.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "onespace.client_ip.axes_client_ip"
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Staff reach admin only with a verified TOTP device.
OTP_TOTP_ISSUER = "OneSpace"
# A staff member's TOTP secret and QR code are shown once, at their own enrolment;
# admin never shows them again, not even to a superuser.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Recovery codes handed to a staff member at enrolment, each usable once.
STAFF_RECOVERY_CODE_COUNT = 10

# Staff sessions show every customer's data: they end after 30 idle minutes and after
# 12 hours whatever the activity (PDPA s.37(1): appropriate security measures).
# Customers keep Django's two-week session unless these customer settings are set.
STAFF_SESSION_IDLE_TIMEOUT = timedelta(
    minutes=env_int("STAFF_SESSION_IDLE_MINUTES", 30)
)
STAFF_SESSION_MAX_AGE = timedelta(hours=env_int("STAFF_SESSION_MAX_AGE_HOURS", 12))
# 0 = no limit beyond SESSION_COOKIE_AGE (the default for customers).
CUSTOMER_SESSION_IDLE_TIMEOUT = timedelta(
    minutes=env_int("CUSTOMER_SESSION_IDLE_MINUTES", 0)
)
CUSTOMER_SESSION_MAX_AGE = timedelta(hours=env_int("CUSTOMER_SESSION_MAX_AGE_HOURS", 0))

# Rate limits per client address (onespace.client_ip) and per account, counted in the
# shared cache above. HTML forms get a 429 page, the APIs a 429 JSON answer; both say
# when to try again (Retry-After).
RATE_LIMITS = {
    "signup": env_rate("RATE_LIMIT_SIGNUP", "10/h"),
    "password_reset": env_rate("RATE_LIMIT_PASSWORD_RESET", "5/h"),
    "resend_verification": env_rate("RATE_LIMIT_RESEND_VERIFICATION", "5/h"),
    "data_export": env_rate("RATE_LIMIT_DATA_EXPORT", "5/h"),
    "ticket_create": env_rate("RATE_LIMIT_TICKET_CREATE", "20/h"),
    "privacy_request": env_rate("RATE_LIMIT_PRIVACY_REQUEST", "10/h"),
    "attachment_upload": env_rate("RATE_LIMIT_ATTACHMENT_UPLOAD", "30/h"),
    "node_events": env_rate("RATE_LIMIT_NODE_EVENTS", "6000/m"),
    "access_check": env_rate("RATE_LIMIT_ACCESS_CHECK", "6000/m"),
    "invoices": env_rate("RATE_LIMIT_INVOICES", "120/m"),
}

# --- Internationalisation -------------------------------------------------------------

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "onespace_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Private files (invoices, ticket attachments, exports) live outside the web root and
# are only ever served through views that check ownership.
PRIVATE_STORAGE_ROOT = Path(
    env_str("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private"))
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "OneSpace <no-reply@onespace.co.th>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PRIVACY_CONTACT_EMAIL = "support@onespace.co.th"
# Breach candidates opened automatically for the Privacy officer (PDPA s.37(4)): a spike
# of sign-in lockouts (this many within the window; 0 turns it off) and staff access to a
# node that no grant covered (auditlog violations).
BREACH_CANDIDATE_LOCKOUTS = env_int("BREACH_CANDIDATE_LOCKOUTS", 20)
BREACH_CANDIDATE_LOCKOUT_WINDOW = timedelta(
    minutes=env_int("BREACH_CANDIDATE_LOCKOUT_WINDOW_MINUTES", 60)
)
BREACH_CANDIDATE_FROM_VIOLATIONS = env_bool("BREACH_CANDIDATE_FROM_VIOLATIONS", True)
# Development prints emails on the console; production sends through SMTP unless told
# otherwise (`check --deploy` refuses the console backend, mail.E001).
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_email_options: dict = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}

# --- Background tasks -----------------------------------------------------------------

# The database is the queue: nothing more to run for the embedded default, and any
# number of `manage.py db_worker` processes can share a PostgreSQL queue.
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}

# --- API ------------------------------------------------------------------------------

# The largest API request body: 1000 node events with 4 KB of details each fit with
# room to spare (about 5 MB). Larger bodies get a JSON 413 naming this number; HTML
# forms keep Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB). The proxy's body limit must
# be at least this (README, Production).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 6 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "onespace.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["onespace.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "onespace.api.exception_handler",
    # Each API view names its throttle_scope; both keys count (onespace.ratelimits).
    "DEFAULT_THROTTLE_CLASSES": [
        "onespace.ratelimits.ClientAddressThrottle",
        "onespace.ratelimits.CallerThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        scope: RATE_LIMITS[scope]
        for scope in ("node_events", "access_check", "invoices")
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OneSpace portal API",
    "DESCRIPTION": "Node events from the control plane, access checks and billing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------

# Off only when DEBUG is on (development over plain HTTP); each can be overridden.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Logging --------------------------------------------------------------------------

# Application logs never carry personal data: no request bodies, no addresses beyond
# what the access log (a database table with its own retention) keeps.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    # Verification and reset links carry a token in their path (accounts.log_redaction).
    "filters": {"redact_links": {"()": "accounts.log_redaction.RedactSecretLinks"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_links"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # django.request logs the full path on 4xx, which can carry tokens; warnings
        # about missing pages are not worth that risk.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # WeasyPrint reports every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- The portal's own rules -----------------------------------------------------------

# Policy clause 3: a new notice version takes effect no sooner than this after publication.
POLICY_NOTICE_PERIOD = timedelta(days=env_int("POLICY_NOTICE_PERIOD_DAYS", 30))
CSRF_FAILURE_VIEW = "onespace.views.csrf_failure"

# --- support ---
# Ticket attachments: checked by content (PNG, JPEG, PDF, plain text), at most this
# many files per message and this many bytes per file.
SUPPORT_ATTACHMENT_MAX_BYTES = env_int("SUPPORT_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
SUPPORT_ATTACHMENT_MAX_COUNT = env_int("SUPPORT_ATTACHMENT_MAX_COUNT", 5)

# --- billing ---

# Revenue Code s.86/4 (1): the seller's name, address, tax ID and branch printed on
# every tax invoice; a snapshot is frozen on each document at issue.
BILLING_SELLER = {
    "name": env_str(
        "BILLING_SELLER_NAME",
        "บริษัท วันสเปซ คอร์ปอเรชั่น จำกัด (OneSpace Corporation Co., Ltd.)",
    ),
    "address": env_str(
        "BILLING_SELLER_ADDRESS",
        "เลขที่ 999 อาคารวันสเปซ ถนนสุขุมวิท แขวงคลองเตยเหนือ เขตวัฒนา กรุงเทพมหานคร 10110",
    ),
    "tax_id": env_str("BILLING_SELLER_TAX_ID", "0107536000315"),
    "branch": env_str("BILLING_SELLER_BRANCH", "00000"),
    # ETDA e-Tax: the seller's address in parts (house number, postcode, and the 6-digit
    # TISI sub-district code, whose first 4 and 2 digits are the district and province).
    "building_number": env_str("BILLING_SELLER_BUILDING_NUMBER", "999"),
    "postcode": env_str("BILLING_SELLER_POSTCODE", "10110"),
    "subdistrict_code": env_str("BILLING_SELLER_SUBDISTRICT_CODE", "103901"),
}
# Lines per bill sent through POST /api/v1/invoices/: the PDF of one bill is rendered
# in one task, and rendering time grows with the lines (10,000 took 52 seconds).
BILLING_INVOICE_MAX_LINES = env_int("BILLING_INVOICE_MAX_LINES", 100)
# Revenue Code s.87/3, Accounting Act s.14: tax documents are kept 5 years from the end
# of the accounting period in which they were issued; the fiscal year ends on this day.
BILLING_FISCAL_YEAR_END = env_month_day("BILLING_FISCAL_YEAR_END", "12-31")

# ETDA e-Tax Invoice & e-Receipt (billing.etax). ETDA's XSDs, Schematron and code lists
# (v2.1, not part of the project): each XML is validated against them and profile
# addresses get their TISI codes from them; without the folder XML is built unvalidated.
ETAX_SCHEMA_DIR = Path(
    env_str(
        "ETAX_SCHEMA_DIR",
        str(BASE_DIR.parent / "shared" / "etda" / "e-tax-invoice-receipt-v2.1"),
    )
)
# The company's certificate (PKCS#12) that signs every XML (XAdES-BES); without it the
# XML is produced unsigned and admin says so.
ETAX_CERT_FILE = env_str("ETAX_CERT_FILE", "")
ETAX_CERT_PASSWORD = env_str("ETAX_CERT_PASSWORD", "")
# "e-Tax Invoice by Email": the address every document email is also sent to.
ETAX_BY_EMAIL_CC = env_str("ETAX_BY_EMAIL_CC", "")
# PromptPay ID (13-digit tax ID, 10-digit phone or 15-digit e-wallet/biller ID): billing
# notes carry a Thai QR Payment code for their amount.
PROMPTPAY_ID = env_str("PROMPTPAY_ID", "")

# --- auditlog -------------------------------------------------------------------------

# Access logs, security events and node events are kept this long, then purged by
# `manage.py purge_expired`. Computer-related Crime Act s.26: at least 90 days
# (system check auditlog.E001).
AUDITLOG_RETENTION_DAYS = env_int("AUDITLOG_RETENTION_DAYS", 365)
# Requests to these paths (and below them) are not logged; whole path segments match.
AUDITLOG_SKIP_PATHS = env_list(
    "AUDITLOG_SKIP_PATHS", "/static/,/healthz,/favicon.ico,/metrics"
)
# /healthz answers 503 once the access-log buffer has failed to flush for this long.
AUDITLOG_HEALTH_FLUSH_SECONDS = env_int("AUDITLOG_HEALTH_FLUSH_SECONDS", 300)
# Bearer token of the Prometheus scraper for /metrics; empty: /metrics answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Access-log records are buffered in memory and written in bulk this often; a hard
# crash loses at most this much. 0 disables the background flush.
AUDITLOG_FLUSH_INTERVAL = env_int("AUDITLOG_FLUSH_INTERVAL_MS", 1000) / 1000
# Records kept in memory while the database refuses writes; the oldest go first.
AUDITLOG_BUFFER_MAX = env_int("AUDITLOG_BUFFER_MAX", 100_000)
# Chain heads are anchored outside the database once a day (auditlog.anchors): signed
# JSON files in this directory (put it on storage the database host cannot rewrite),
# and a copy emailed to the Security auditor group unless AUDITLOG_ANCHOR_EMAIL is off.
AUDITLOG_ANCHOR_DIR = Path(
    env_str("AUDITLOG_ANCHOR_DIR", str(BASE_DIR / "var" / "anchors"))
)
# The HMAC key that signs the anchors; empty means one derived from SECRET_KEY.
AUDITLOG_ANCHOR_KEY = env_str("AUDITLOG_ANCHOR_KEY", "")
AUDITLOG_ANCHOR_EMAIL = env_bool("AUDITLOG_ANCHOR_EMAIL", True)

# --- accounts ---

# The sign-up form (a subclass of accounts.forms.SignupForm); its on_signup hook runs
# inside the sign-up transaction.
SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"

# --- policy ---------------------------------------------------------------------------

# The key of the pseudonyms that name a person on acceptance, consent and erasure
# records after the account is erased (policy.pseudonyms); empty means one derived from
# SECRET_KEY, fine for development only. When rotating, move the old key to
# PSEUDONYM_KEYS_OLD (comma-separated) so look-ups by address keep finding old rows.
PSEUDONYM_KEY = env_str("PSEUDONYM_KEY", "")
PSEUDONYM_KEYS_OLD = env_list("PSEUDONYM_KEYS_OLD")
# Sign-up adds the acknowledgement of the notice in force and the optional consents.
SIGNUP_FORM_CLASS = "policy.forms.SignupForm"
# Notice emails about a new version are sent by background tasks, this many per task.
POLICY_NOTICE_BATCH_SIZE = env_int("POLICY_NOTICE_BATCH_SIZE", 200)
# URL names (besides the notice pages and the gate) a customer can still reach before
# accepting the version in force, e.g. to download their data or close the account.
POLICY_GATE_OPEN_VIEWS: list[str] = [
    # accounts.middleware.AccountGateMiddleware sends customers to these first (expired
    # password, unverified email); gating them too would loop between the two gates.
    "accounts:password-expired",
    "accounts:verification-pending",
    "accounts:verify-email",
]

# --- policy: privacy rights -------------------------------------------------------------

# PDPA s.30-31: a prepared export can be downloaded for this long, then its file is deleted.
POLICY_EXPORT_VALID_FOR = timedelta(days=env_int("POLICY_EXPORT_VALID_DAYS", 7))
# PDPA s.33: closing an account waits this long (the customer can cancel), then erases;
# the whole request is answered well within the 30 days the law allows.
ACCOUNT_CLOSURE_COOL_OFF = timedelta(days=env_int("ACCOUNT_CLOSURE_COOL_OFF_DAYS", 3))
POLICY_GATE_OPEN_VIEWS += [
    "policy:export-download",
    "policy:close-account-cancel",
]
