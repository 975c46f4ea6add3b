"""Carousel settings: every value comes from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Kept in the repository (empty) so the SQLite file and broker have a home on a fresh clone.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production needs a long random SECRET_KEY in the "
            "environment; set DEBUG=true only for local development."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "carousel",
    "conversations",
    "reviews",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "carousel.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the sign-in's outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "carousel.urls"
WSGI_APPLICATION = "carousel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviews.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'carousel.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A kept connection is checked before reuse, so a restarted database costs one failed
# request per worker, not a minute of them.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a sync writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write inside transactions.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "carousel.auth.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reviews:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
# Development serves from the app folders; production from collectstatic's output.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files served by whitenoise in production (after collectstatic).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
# Links in emails point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Hours after the start of a team's week when the mid-week nudge goes out (default: 3 days).
NUDGE_AFTER_HOURS = env.int("NUDGE_AFTER_HOURS", default=72)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Carousel <carousel@localhost>")

# --- Security (production values unless DEBUG) ---------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Off only for a plain-HTTP rehearsal on loopback (ops/loadtest.py); never in production.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    # Only behind a proxy that always sets this header (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
)
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

REDIS_URL = env.str("REDIS_URL", default="")
# Redis is shared by every web worker; LocMem is per process (check --deploy refuses it).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Sign-in attempts allowed per email and per address before a pause.
LOGIN_ATTEMPTS_ALLOWED = env.int("LOGIN_ATTEMPTS_ALLOWED", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# django-axes counts failures per (email, address) pair in the database, shared by every
# web process: a stranger's wrong passwords never lock the owner out on their own device,
# and a successful sign-in starts the count again. Leads and admins can unlock.
AXES_FAILURE_LIMIT = LOGIN_ATTEMPTS_ALLOWED
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_LOCKOUT_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "carousel.auth.sign_in_username"
AXES_CLIENT_IP_CALLABLE = "carousel.auth.client_address"
AXES_LOCKOUT_CALLABLE = "carousel.auth.locked_out_response"
AXES_VERBOSE = False

# --- Celery -------------------------------------------------------------------
# Without Redis, Kombu's SQLAlchemy transport keeps the queue in a SQLite file,
# so the web app, a worker and beat all run on a bare laptop.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL",
    default=REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}",
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
# A task not acknowledged within this time is handed to another worker: longer than the
# longest sync (its hard time limit is 55 minutes), or a running sync would be started twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
SYNC_INTERVAL_MINUTES = env.int("SYNC_INTERVAL_MINUTES", default=15)
CELERY_BEAT_SCHEDULE = {
    "sync-conversations": {
        "task": "conversations.tasks.sync_conversations",
        "schedule": SYNC_INTERVAL_MINUTES * 60,
    },
    "assign-due-weeks": {
        "task": "reviews.tasks.assign_due_weeks",
        "schedule": 60 * 60,
    },
    "send-digests-and-nudges": {
        "task": "reviews.tasks.send_digests_and_nudges",
        "schedule": 60 * 60,
    },
}

# --- Helpdesk -----------------------------------------------------------------
HELPDESK = env.str("HELPDESK", default="file")
if HELPDESK not in {"intercom", "zendesk", "file"}:
    raise ImproperlyConfigured(f"HELPDESK must be intercom, zendesk or file, not {HELPDESK!r}.")
INTERCOM_ACCESS_TOKEN = env.str("INTERCOM_ACCESS_TOKEN", default="")
INTERCOM_API_BASE = env.str("INTERCOM_API_BASE", default="https://api.intercom.io")
INTERCOM_API_VERSION = env.str("INTERCOM_API_VERSION", default="2.16")
ZENDESK_SUBDOMAIN = env.str("ZENDESK_SUBDOMAIN", default="")
ZENDESK_EMAIL = env.str("ZENDESK_EMAIL", default="")
ZENDESK_API_TOKEN = env.str("ZENDESK_API_TOKEN", default="")
# Overrides https://{ZENDESK_SUBDOMAIN}.zendesk.com (tests, proxies).
ZENDESK_API_BASE = env.str("ZENDESK_API_BASE", default="")
# A file or folder of import files that the periodic sync reads when HELPDESK=file.
HELPDESK_IMPORT_PATH = env.str("HELPDESK_IMPORT_PATH", default="")

HELPDESK_TIMEOUT_SECONDS = env.float("HELPDESK_TIMEOUT_SECONDS", default=30.0)
HELPDESK_MAX_RETRIES = env.int("HELPDESK_MAX_RETRIES", default=5)
HELPDESK_CONCURRENCY = env.int("HELPDESK_CONCURRENCY", default=4)

# --- Sync filters ---------------------------------------------------------------
SYNC_MIN_CUSTOMER_MESSAGES = env.int("SYNC_MIN_CUSTOMER_MESSAGES", default=1)
SYNC_MIN_AGENT_REPLIES = env.int("SYNC_MIN_AGENT_REPLIES", default=2)
SYNC_MIN_CUSTOMER_WORDS = env.int("SYNC_MIN_CUSTOMER_WORDS", default=15)
SYNC_SPAM_TAGS = env.list("SYNC_SPAM_TAGS", default=["Spam"])
# How long a sync may hold its source's lock without renewing it (a killed worker's
# lock expires after this).
SYNC_LOCK_SECONDS = env.int("SYNC_LOCK_SECONDS", default=15 * 60)

# JSON lines in production for log collectors; plain text on a laptop.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "carousel.logging.JSONFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Axes tells every attempt at INFO; failures and lockouts (WARNING) are what operators need.
    "loggers": {"axes": {"level": "WARNING"}},
}
