"""Settings for courtesy: one module, read from the environment.

Every variable has an embedded default that needs no running service (SQLite, Celery's
filesystem broker and the file mail backend, all under var/). Production sets DATABASE_URL,
CELERY_BROKER_URL, EMAIL_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS. A malformed value stops
the program at start-up rather than being guessed at.
"""

import os
import zoneinfo
from datetime import timedelta
from pathlib import Path

import csp.constants as csp
import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from compliance.environment import (
    email_settings,
    env_bool,
    env_dates,
    env_int,
    env_list,
    env_pair,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the embedded mode writes (database, broker, mail, kept messages) lives here.
VAR_DIR = Path(os.environ.get("COURTESY_VAR_DIR", BASE_DIR / "var")).resolve()


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-not-secret-courtesy"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")

INSTALLED_APPS = [
    "compliance.accounts.apps.CourtesyAdminConfig",  # django.contrib.admin, as ours
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "compliance.core",
    "compliance.audit",
    "compliance.accounts",
    "compliance.items",
    "compliance.messaging",
    "compliance.destinations",
    "compliance.takedowns",
    "compliance.licensing",
    "compliance.wordpress",
    "compliance.reports",
    "compliance.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else Accept-Language; paths stay unprefixed.
    "django.middleware.locale.LocaleMiddleware",
    "compliance.core.middleware.DesignedNotFoundMiddleware",  # never DEBUG's technical 404
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "compliance.urls"
WSGI_APPLICATION = "compliance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "compliance.core.context_processors.site",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Seconds a database connection is kept for the next request (Django's CONN_MAX_AGE): in
# services mode a minute, checked before reuse, so a page never pays for a new PostgreSQL
# connection; the embedded SQLite file opens in microseconds and keeps none.
SERVICES_CONN_MAX_AGE = 60


def database_settings(url: str | None) -> dict:
    """The default database from DATABASE_URL (None: the embedded SQLite file)."""
    default_age = SERVICES_CONN_MAX_AGE if url else 0
    # DATABASE_CONN_MAX_AGE: the name this setting had before CONN_MAX_AGE.
    age = env_int("CONN_MAX_AGE", env_int("DATABASE_CONN_MAX_AGE", default_age))
    if age < 0:
        raise ImproperlyConfigured(f"CONN_MAX_AGE={age} must be 0 or more seconds")
    return dj_database_url.parse(
        url or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=age,
        conn_health_checks=age > 0,
    )


EMBEDDED_DATABASE = not os.environ.get("DATABASE_URL")
DATABASES = {"default": database_settings(os.environ.get("DATABASE_URL"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, for the test database too: the Celery worker that the integration
    # tests start is another process and must see the same rows.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff accounts (compliance/accounts/): django-axes counts failed logins (a wrong password
# or second-factor code) per username and per client address, and locks out either one
# that reaches the limit: guessing one account from many addresses, or many accounts from
# one address, is stopped.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 60))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # compliance/accounts/admin.py registers its own, with Unlock
AXES_CLIENT_IP_CALLABLE = "compliance.accounts.lockout.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# A staff session ends after this long without a request.
SESSION_COOKIE_AGE = env_int("STAFF_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
OTP_TOTP_ISSUER = "courtesy"

LANGUAGE_CODE = "en"
# Every public page and every mail to a requester exists in these (locale/); the admin
# shows Django's own translations in the same languages.
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# DATE_FORMAT and DATETIME_FORMAT per language ("4 December 2026", "4. Dezember 2026").
FORMAT_MODULE_PATH = ["compliance.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS, from the environment (README: "Running in production"). Behind a proxy that
# terminates TLS, SECURE_PROXY_SSL_HEADER names the header it sets and the value meaning
# HTTPS, e.g. "HTTP_X_FORWARDED_PROTO,https" (the proxy must overwrite it on every request).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = env_pair("SECURE_PROXY_SSL_HEADER")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = env_bool("SESSION_COOKIE_HTTPONLY", True)
CSRF_COOKIE_HTTPONLY = env_bool("CSRF_COOKIE_HTTPONLY", True)
# Content-Security-Policy on every response (django-csp): scripts and <style> elements
# only from here or with the response's nonce; style attributes stay allowed (the
# compliance report is written for mail clients, which drop <style>, and its charts are
# inline SVG); images also from https: (republished articles keep their origin's images).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "style-src-attr": [csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:", "https:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"compliance": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")}},
}

# --- Mail ----------------------------------------------------------------------------------

CONTACT_EMAIL = env_str("CONTACT_EMAIL", "removals@example.org")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", CONTACT_EMAIL)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
vars().update(email_settings(env_str("EMAIL_URL", str(VAR_DIR / "mail"))))

# --- Celery --------------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: one folder is both inbox and outbox, so the web process,
    # the worker and beat on this machine share it; the control folder lets `celery inspect`
    # and remote control work too.
    BROKER_QUEUE_DIR = VAR_DIR / "broker" / "queue"
    CELERY_BROKER_TRANSPORT = "compliance.core.broker:Transport"  # atomic writes; see there
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_QUEUE_DIR),
        "data_folder_out": str(BROKER_QUEUE_DIR),
        "control_folder": str(VAR_DIR / "broker" / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Longer than any countdown we schedule, so Redis does not redeliver a task still waiting.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Takedowns have a queue of their own so that a backlog of feed ingests never delays them.
CELERY_TASK_ROUTES = {
    "compliance.items.tasks.*": {"queue": "ingest"},
    "compliance.takedowns.tasks.*": {"queue": "takedowns"},
    "compliance.wordpress.tasks.*": {"queue": "ingest"},
    "compliance.messaging.tasks.*": {"queue": "mail"},
    "compliance.licensing.tasks.*": {"queue": "ingest"},
    # Purges and notifications are part of carrying a takedown out.
    "compliance.destinations.tasks.*": {"queue": "takedowns"},
}
# Publishing gives up quickly when the broker is down: the row is committed and a sweep
# queues the work again, so a web request must not hang on the broker.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs; django-celery-beat copies these into its tables, where staff can see them.
CELERY_BEAT_SCHEDULE = {
    "ingest-due-feeds": {
        "task": "compliance.items.tasks.ingest_due_feeds",
        "schedule": env_int("INGEST_SWEEP_SECONDS", 300),
    },
    "sweep-outbox": {
        "task": "compliance.messaging.tasks.sweep_outbox",
        "schedule": env_int("OUTBOX_SWEEP_SECONDS", 60),
    },
    "requeue-stuck-takedowns": {
        "task": "compliance.takedowns.tasks.requeue_stuck_takedowns",
        "schedule": env_int("TAKEDOWN_STUCK_SWEEP_SECONDS", 60),
    },
    "restore-due-counter-notices": {
        "task": "compliance.takedowns.tasks.restore_due_counter_notices",
        "schedule": env_int("COUNTER_NOTICE_SWEEP_SECONDS", 15 * 60),
    },
    "recheck-staydown": {
        "task": "compliance.takedowns.tasks.recheck_staydown",
        "schedule": env_int("STAYDOWN_RECHECK_SECONDS", 15 * 60),
    },
    "check-licences-due": {
        "task": "compliance.licensing.tasks.check_licences_due",
        "schedule": env_int("LICENCE_CHECK_SWEEP_SECONDS", 300),
    },
    "recheck-originals": {
        "task": "compliance.licensing.tasks.recheck_originals",
        "schedule": env_int("ORIGINAL_RECHECK_SECONDS", 3 * 3600),
    },
    "warn-licences-expiring": {
        "task": "compliance.reports.tasks.warn_licences_expiring",
        "schedule": env_int("LICENCE_EXPIRY_WARNING_SECONDS", 24 * 3600),
    },
    "withhold-expired-licences": {
        "task": "compliance.takedowns.tasks.withhold_expired_licences",
        "schedule": env_int("LICENCE_SWEEP_SECONDS", 60 * 60),
    },
    "submit-public-records": {
        "task": "compliance.reports.tasks.submit_public_records",
        "schedule": env_int("PUBLIC_RECORDS_SWEEP_SECONDS", 5 * 60),
    },
    "sweep-deliveries": {
        "task": "compliance.destinations.tasks.sweep_deliveries",
        "schedule": env_int("DELIVERY_SWEEP_SECONDS", 15),
        # A sweep not run by the time of the next one is dropped: no backlog of sweeps.
        "options": {"expire_seconds": env_int("DELIVERY_SWEEP_SECONDS", 15)},
    },
    # Each site is swept when due (WORDPRESS_SWEEP_SECONDS after its last sweep, later
    # after failures); the beat looks for due sites at least every minute.
    "sweep-wordpress-sites": {
        "task": "compliance.wordpress.tasks.sweep_wordpress_sites",
        "schedule": min(60, env_int("WORDPRESS_SWEEP_SECONDS", 5 * 60)),
    },
}

# --- courtesy ------------------------------------------------------------------------------

# Where `make run` serves (the Procfile's runserver reads the same two variables); the
# default SITE_URL follows them so that links, mails and the self-check name that port.
HOST = env_str("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000)
SITE_URL = env_str("SITE_URL", f"http://{HOST}:{PORT}").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "courtesy")
# WordPress sites: how often each is swept for new, edited and re-imported posts, and the
# Fernet key its application password is encrypted under (derived from SECRET_KEY if unset).
WORDPRESS_SWEEP_SECONDS = env_int("WORDPRESS_SWEEP_SECONDS", 5 * 60)
WORDPRESS_CREDENTIALS_KEY = env_str("WORDPRESS_CREDENTIALS_KEY", "")
if WORDPRESS_CREDENTIALS_KEY:
    try:
        Fernet(WORDPRESS_CREDENTIALS_KEY)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "WORDPRESS_CREDENTIALS_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc
# Compliance reports: period boundaries (days, weeks, months) are midnights in this zone.
REPORT_TIME_ZONE = env_str("REPORT_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(REPORT_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"REPORT_TIME_ZONE={REPORT_TIME_ZONE!r} is not an IANA time zone (e.g. Europe/Berlin)"
    ) from None

# Public records of decisions: the DSA Transparency Database (its site, sandbox or
# production, e.g. https://transparency.dsa.ec.europa.eu; the API is under /api/v1/) and
# Lumen (e.g. https://lumendatabase.org). Each is submitted to only when its URL and token
# are set and PUBLIC_RECORDS_SUBMIT is on.
DSA_TDB_API_URL = env_str("DSA_TDB_API_URL", "").rstrip("/")
DSA_TDB_API_TOKEN = env_str("DSA_TDB_API_TOKEN", "")
LUMEN_API_URL = env_str("LUMEN_API_URL", "").rstrip("/")
LUMEN_API_TOKEN = env_str("LUMEN_API_TOKEN", "")
PUBLIC_RECORDS_SUBMIT = env_bool("PUBLIC_RECORDS_SUBMIT", True)
PUBLIC_RECORDS_TIMEOUT_SECONDS = env_int("PUBLIC_RECORDS_TIMEOUT_SECONDS", 30)

# Feed fetching. Loopback may be allowed for local development and tests only: every other
# non-public address stays refused, first request or redirect alike.
FETCH_ALLOW_LOOPBACK = env_bool("FETCH_ALLOW_LOOPBACK", False)
FETCH_TIMEOUT_SECONDS = env_int("FETCH_TIMEOUT_SECONDS", 15)
# A full-text feed of 10,000 items is about 15 MB (bench/ingest.py prints its size).
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 32 * 1024 * 1024)
FETCH_USER_AGENT = env_str(
    "FETCH_USER_AGENT", f"courtesy-feed-fetcher/0.1 (+{SITE_URL}; {CONTACT_EMAIL})"
)
FEED_DEFAULT_POLL_MINUTES = env_int("FEED_DEFAULT_POLL_MINUTES", 30)
FEED_MAX_BACKOFF_MINUTES = env_int("FEED_MAX_BACKOFF_MINUTES", 24 * 60)
# Licence evidence (compliance.licensing): item pages read per sweep when first seen; how
# far back republished originals are re-checked at the origin, and how many hours apart two
# 404/410 answers must be before an item is hidden as "removed at origin"; how many days
# ahead an expiring licence basis is warned about.
LICENCE_ITEM_CHECKS_PER_SWEEP = env_int("LICENCE_ITEM_CHECKS_PER_SWEEP", 100)
ORIGINAL_RECHECK_DAYS = env_int("ORIGINAL_RECHECK_DAYS", 30)
REMOVED_AT_ORIGIN_HOURS = env_int("REMOVED_AT_ORIGIN_HOURS", 6)
LICENCE_EXPIRY_WARNING_DAYS = env_int("LICENCE_EXPIRY_WARNING_DAYS", 30)
# Verified opt-outs read `_courtesy.<domain>` TXT records from these servers (host[:port]);
# empty: the system's resolver.
OPTOUT_DNS_NAMESERVERS = env_list("OPTOUT_DNS_NAMESERVERS", [])
# Removal requests: staff must decide within this many hours of receipt (due_at).
TAKEDOWN_TIME_LIMIT_HOURS = env_int("TAKEDOWN_TIME_LIMIT_HOURS", 48)
# Removal requests accepted from one client address (form and API) per hour; 0: no limit.
TAKEDOWN_RATE_LIMIT_PER_HOUR = env_int("TAKEDOWN_RATE_LIMIT_PER_HOUR", 5)
# mailgate acknowledges at most this many requests per sender address in 24 hours; beyond
# it a request is still opened, but flagged for staff and not answered (no loop with a robot).
MAILGATE_ACKNOWLEDGEMENTS_PER_DAY = env_int("MAILGATE_ACKNOWLEDGEMENTS_PER_DAY", 3)
# The takedown job confirms nothing before its self-check has requested each hidden item's
# page, /feed/ and /sitemap.xml from this address: SITE_URL unless the workers reach the
# site by another (internal) address, e.g. http://web:8000.
SELF_CHECK_BASE_URL = env_str("SELF_CHECK_BASE_URL", SITE_URL).rstrip("/")
SELF_CHECK_TIMEOUT_SECONDS = env_int("SELF_CHECK_TIMEOUT_SECONDS", 10)
# Every hidden item's page is requested (0); a positive number makes a larger takedown
# check an even sample of that many pages instead (the feed and sitemap checks always
# cover every item), for sites where requesting each page takes too long.
SELF_CHECK_MAX_PAGES = env_int("SELF_CHECK_MAX_PAGES", 0)
# Pages the self-check requests at once.
SELF_CHECK_CONCURRENCY = env_int("SELF_CHECK_CONCURRENCY", 8)
# A request still `processing` this long after its job started is queued again.
TAKEDOWN_STUCK_MINUTES = env_int("TAKEDOWN_STUCK_MINUTES", 10)
# Abuse (DSA Art. 23): this many rejections marked manifestly unfounded within the window
# warn the sender (address; the domain with its own limit, 0: never); one more while warned
# suspends it from filing for ABUSE_SUSPENSION_DAYS.
ABUSE_UNFOUNDED_LIMIT = env_int("ABUSE_UNFOUNDED_LIMIT", 3)
ABUSE_DOMAIN_UNFOUNDED_LIMIT = env_int("ABUSE_DOMAIN_UNFOUNDED_LIMIT", 10)
ABUSE_WINDOW_DAYS = env_int("ABUSE_WINDOW_DAYS", 180)
ABUSE_SUSPENSION_DAYS = env_int("ABUSE_SUSPENSION_DAYS", 30)
# Trusted flaggers' notices (DSA Art. 22) are due this many hours after receipt.
TRUSTED_FLAGGER_TIME_LIMIT_HOURS = env_int("TRUSTED_FLAGGER_TIME_LIMIT_HOURS", 12)
# New requests mailgate opens per sender address / per sender domain per hour; beyond,
# the message is kept for staff, unacknowledged (0: no limit).
MAILGATE_LIMIT_PER_ADDRESS_PER_HOUR = env_int("MAILGATE_LIMIT_PER_ADDRESS_PER_HOUR", 5)
MAILGATE_LIMIT_PER_DOMAIN_PER_HOUR = env_int("MAILGATE_LIMIT_PER_DOMAIN_PER_HOUR", 20)
# Evidence a requester attaches to a notice: at most this many files, each and all together
# at most these sizes; kept here, outside the static and media roots.
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 5)
EVIDENCE_MAX_FILE_BYTES = env_int("EVIDENCE_MAX_FILE_BYTES", 5 * 1024 * 1024)
EVIDENCE_MAX_TOTAL_BYTES = env_int("EVIDENCE_MAX_TOTAL_BYTES", 10 * 1024 * 1024)
EVIDENCE_ROOT = VAR_DIR / "evidence"
# Counter-notice restorations count business days: weekends and these dates are skipped.
TAKEDOWN_HOLIDAYS = env_dates("TAKEDOWN_HOLIDAYS")

# Destinations (compliance/destinations/): where a takedown is carried out besides our own
# pages. The environment's edge cache and IndexNow key become rows at migrate; officers
# add others (webhooks) in the admin.
EDGE_CACHE_URL = env_str("EDGE_CACHE_URL", "").rstrip("/")
EDGE_CACHE_KIND = env_str("EDGE_CACHE_KIND", "varnish-xkey")
INDEXNOW_KEY = env_str("INDEXNOW_KEY", "")
INDEXNOW_ENDPOINT = env_str("INDEXNOW_ENDPOINT", "https://api.indexnow.org/indexnow")
DESTINATION_TIMEOUT_SECONDS = env_int("DESTINATION_TIMEOUT_SECONDS", 10)
# A failing delivery is tried again after 10 s, 20 s, 40 s … (at most an hour apart), this
# many times in all; then the request is flagged for staff and nothing is confirmed.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 8)
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 10)
DELIVERY_RETRY_MAX_SECONDS = env_int("DELIVERY_RETRY_MAX_SECONDS", 3600)
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 120)
# Published pages: how long an edge cache may keep them (purged on every takedown), and a
# browser (not purgeable: kept short).
EDGE_CACHE_SECONDS = env_int("EDGE_CACHE_SECONDS", 24 * 3600)
BROWSER_CACHE_SECONDS = env_int("BROWSER_CACHE_SECONDS", 60)

# The REST API (compliance/api/, /api/v1/). Tokens for programs, the session for people in
# the browsable pages; JSON in, JSON out; staff-only unless a view says otherwise.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: an anonymous call to a staff endpoint answers 401 with
    # "WWW-Authenticate: Token" rather than the session's 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["compliance.api.permissions.IsStaff"],
    "DEFAULT_PARSER_CLASSES": ["compliance.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "compliance.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "compliance.api.filters.FilterBackend",
        "compliance.api.filters.SearchFilter",
        "compliance.api.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "compliance.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "courtesy API",
    "DESCRIPTION": (
        "Republished items, origins, feeds, removal requests and their outcomes.\n\n"
        "**Who may do what.** Anyone may read published items and submit a removal request. "
        "Staff read everything; compliance officers (the “Compliance officers” group) also "
        "hide and restore items, block origins, manage feeds and approve or reject requests.\n\n"
        "**Authentication.** Send `Authorization: Token <key>`. Staff get a key from an "
        "administrator (`manage.py drf_create_token <username>`, or Auth Token > Tokens in "
        "the admin). Signed in to the admin, the browsable pages use the session instead.\n\n"
        '**Errors** are JSON: `{"detail": …, "code": …}`; invalid input is a 400 with '
        "the messages under each field's name. 401: no or bad credentials; 403: not allowed; "
        "409: the request's current status does not allow this; 429: too many removal "
        "requests from one address (see Retry-After)."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components: what a caller sends is not what it gets.
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ works offline: Swagger UI's files come from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "compliance.api.schema.allow_empty_query_values",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ItemStatusEnum": "compliance.items.models.Item.Status",
        "RemovalRequestStatusEnum": "compliance.takedowns.models.RemovalRequest.Status",
        "ReportKindEnum": "compliance.reports.models.ComplianceReport.Kind",
        "BlockRuleKindEnum": "compliance.items.models.BlockRule.Kind",
        "LicenceKindEnum": "compliance.items.models.LicenceBasis.Kind",
        # The requester's statements (good faith, accuracy): only `true` is valid.
        "StatementEnum": [(True, True)],
    },
}

for folder in ("broker/queue", "broker/control", "mail", "inbox", "static", "evidence"):
    # Cheap and idempotent: the embedded mode must work on a fresh clone with no set-up step.
    (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)
