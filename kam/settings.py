"""One settings module that works with no set-up.

SQLite at ``var/kam.sqlite3`` by default; ``KAM_DATABASE_URL`` switches to PostgreSQL
(``postgresql://user@host:port/name``) or another SQLite file (``sqlite:////abs/path``).
Production values (secret key, allowed hosts, secure cookies) come from environment
variables; with ``KAM_PRODUCTION=1`` they are required and ``kam check --deploy`` is clean.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("KAM_VAR_DIR", PROJECT_DIR / "var"))


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = _env_bool("KAM_PRODUCTION")
DEBUG = _env_bool("KAM_DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = os.environ["KAM_SECRET_KEY"]
    ALLOWED_HOSTS = [h.strip() for h in os.environ["KAM_ALLOWED_HOSTS"].split(",") if h.strip()]
else:
    # A development key: never used when KAM_PRODUCTION is set.
    SECRET_KEY = os.environ.get(
        "KAM_SECRET_KEY", "django-insecure-kam-development-key-change-me-in-production"
    )
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]
    extra_hosts = os.environ.get("KAM_ALLOWED_HOSTS", "")
    ALLOWED_HOSTS += [h.strip() for h in extra_hosts.split(",") if h.strip()]

CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("KAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "ninja",  # its API docs page then loads local assets, not a CDN
    "axes",
    "kam.audit",
    "kam.organization",
    "kam.clients",
    "kam.ledger",
    "kam.credit",
    "kam.keyaccounts",
    "kam.assessment",
    "kam.planning",
    "kam.rules",
    "kam.incidents",
    "kam.deals",
    "kam.imports",
    "kam.generator",
    "kam.web",
    "kam.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kam.web.middleware.UserLanguageMiddleware",
    # Last, as its documentation asks: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: five failures for one user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("KAM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

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
                "kam.web.context.navigation",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, object]:
    """Django DATABASES entry for a ``KAM_DATABASE_URL`` value."""
    # Persistent connections: opening a PostgreSQL connection per request costs more than
    # most pages. SQLite connections are cheap and are not kept.
    persistent = 0 if url.startswith("sqlite") else int(os.environ.get("KAM_CONN_MAX_AGE", "300"))
    config: dict[str, object] = dict(
        dj_database_url.parse(url, conn_max_age=persistent, conn_health_checks=persistent > 0)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers (the web app) work while an import writes.
        config["OPTIONS"] = {
            # A 256 MB page cache keeps index pages of a large import in memory.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    return config


DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'kam.sqlite3'}"
DATABASE_URL = os.environ.get("KAM_DATABASE_URL", DEFAULT_DATABASE_URL)
DATABASES = {"default": database_from_url(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database's folder (var/ by default) is not in the repository.
    Path(str(DATABASES["default"]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Russian for Russian-speaking companies; KAM_LANGUAGE=en for an English default.
LANGUAGE_CODE = os.environ.get("KAM_LANGUAGE", "ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KAM_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Development serves static files from the apps' folders (no collectstatic needed);
# production serves the collected, hashed copies.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
KAM_IMPORT_DIR = VAR_DIR / "imports"

# Sessions are read on every request: from the cache first, the database behind it.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Company policy: may a key-account manager read clients they are not responsible for?
KAM_MANAGERS_READ_ALL_CLIENTS = _env_bool("KAM_MANAGERS_READ_ALL_CLIENTS")
LOGOUT_REDIRECT_URL = "login"

# Uploaded import files can be large; they stream to disk, never into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

if PRODUCTION:
    SECURE_SSL_REDIRECT = _env_bool("KAM_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("KAM_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}
