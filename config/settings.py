"""Settings, all read from the environment.

The defaults are the embedded set-up: SQLite and the in-memory channel layer, so that one
command runs the app on a laptop. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and DEBUG=0.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # A predictable key would let anyone forge session cookies and facilitator logins.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string when DEBUG is off (for example: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-do-not-use-in-production"

# With DEBUG on (the laptop default) phones reach the app on the machine's LAN address,
# which we cannot know in advance, so every host is allowed there.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"] if DEBUG else ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# No script reads the CSRF cookie: pages hand the token to htmx in hx-headers (base.html).
CSRF_COOKIE_HTTPONLY = True

# The address phones open to join (the QR code and link on the console and projector), e.g.
# https://dna.example.org behind a proxy. Unset: the address the console was opened on, or,
# when that is this machine itself (127.0.0.1), its address on the local network.
PUBLIC_URL = env_str("PUBLIC_URL").strip().rstrip("/")
if PUBLIC_URL:
    _public = urlsplit(PUBLIC_URL)
    if _public.scheme not in ("http", "https") or not _public.hostname or _public.path:
        raise ImproperlyConfigured(
            f"PUBLIC_URL must be a scheme and host, such as https://dna.example.org "
            f"(got {PUBLIC_URL!r})."
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "assessments",
    "content",
    "workshop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LanguageCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the lockout django-axes flags during authentication.
    "axes.middleware.AxesMiddleware",
    # Last of all, so that it is first to see an exception from a view.
    "config.middleware.DatabaseUnavailableMiddleware",
]

# A phone's answer (and its recognition) is a fragment of a page that has the page's headers
# already, from a phone without a login: it goes through these only (config/shared_thread.py).
# Its CSRF check stays (the token is checked in process_view, which Django runs for every
# request from the full chain's view middleware), and so do the security headers.
PHONE_ANSWER_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RejectNulMiddleware",
    "config.middleware.LanguageCookieMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Under daphne every view and consumer query runs in one worker thread per process, so
        # one kept connection serves them all; opening one per request cost more than the query.
        conn_max_age=int(env_str("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several phones write at once; WAL and a busy timeout keep SQLite from answering
    # "database is locked" under a workshop's burst of answers.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

if "postgresql" in DATABASES["default"]["ENGINE"]:
    # A database host that accepts connections but never answers held the connecting thread,
    # the shared one that serves every request (config/shared_thread.py), for minutes: the whole
    # process stood still. Give up on a connection after a few seconds, and on a statement
    # after a few more; pages then answer 503 (config.middleware.DatabaseUnavailableMiddleware)
    # and /healthz names the database. DATABASE_STATEMENT_TIMEOUT=0 sends no statement_timeout
    # (for a pooler that refuses start-up options).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3))
    _statement_timeout = env_int("DATABASE_STATEMENT_TIMEOUT", 10)
    if _statement_timeout and "statement_timeout" not in _options.get("options", ""):
        _options["options"] = (
            f"{_options.get('options', '')} -c statement_timeout={_statement_timeout * 1000}"
        ).strip()

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Pub/sub: a broadcast is published once and each process fans it out to its own sockets.
    # The list-based RedisChannelLayer pushes and pops one Redis message per socket instead,
    # and ran out of connections with thousands of phones joining at once (bench/RESULTS.md).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "workshop.layers.WorkshopRedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "workshop.layers.WorkshopInMemoryChannelLayer"}}

# Django's cache holds the counters that throttle logins (django-axes) and join-code guesses
# (workshop/throttle.py). With REDIS_URL they live in Redis, so they hold across processes;
# the embedded default is one process, where a local cache does.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Apart from other apps (and other installs of this one) on the same Redis.
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dna"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is hashed.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one account, or
# from one address, that account or address is refused with a 429 for AXES_COOLOFF_TIME.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
# The attempts are counted in the cache: the admin pages for axes' database tables stay empty.
AXES_ENABLE_ADMIN = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "content:home"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# With DEBUG on, static files are served from the app folders (WhiteNoise's finders) and
# need no collectstatic; production serves the collected, hashed files from STATIC_ROOT.
STATIC_ROOT = None if DEBUG else BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Content-Security-Policy, with django-csp: no inline script or style, nothing from other
# sites. (Django 6 has CSP built in, but needs Python 3.12; these machines run 3.11, so the app
# stays on Django 5.2 LTS.) The middleware adds ws:// and wss:// of the page's host to
# connect-src, for the live pages' WebSocket.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Large payloads are refused with a 400 before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    # Both reach beyond this app: every subdomain of its domain, and the browsers' built-in
    # lists, which take months to leave. Only when the operator asks for them.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

SILENCED_SYSTEM_CHECKS = []
if not DEBUG:
    # check --deploy warns while HSTS leaves out subdomains or preloading: the operator's choice.
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
if not REDIS_URL:
    # axes.W001 asks for a cache shared between processes; the embedded default (no REDIS_URL,
    # in-memory channel layer) runs as one process, and its local cache is shared by all of it.
    SILENCED_SYSTEM_CHECKS.append("axes.W001")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "filters": {"without_traceback": {"()": "config.log_filters.WithoutTraceback"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # WeasyPrint warns about every screen-only CSS rule it skips; only its errors matter.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (or with too many fields): a 400, one line.
        **{
            f"django.security.{name}": {"filters": ["without_traceback"]}
            for name in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")
        },
    },
}
