"""One settings module, driven by environment variables.

Outside development (WAGEGUARD_ENV != "dev") every secret must come from the
environment; a missing one stops the process at startup with a clear message.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("WAGEGUARD_VAR_DIR", REPO_DIR / "var"))

ENV = os.environ.get("WAGEGUARD_ENV", "production")
DEV = ENV == "dev"

# Development-only defaults. They are public (they sit in the repo), so they are
# accepted only when WAGEGUARD_ENV=dev.
_DEV_DEFAULTS = {
    "WAGEGUARD_SECRET_KEY": "dev-only-insecure-secret-key-do-not-use-in-production",
    # 16 bytes (SM4 key size), hex encoded.
    "WAGEGUARD_FIELD_KEY": "00112233445566778899aabbccddeeff",
    "DATABASE_URL": f"sqlite:///{VAR_DIR / 'wageguard.sqlite3'}",
}


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if DEV and name in _DEV_DEFAULTS:
        return _DEV_DEFAULTS[name]
    if default is not None:
        return default
    raise ImproperlyConfigured(
        f"{name} is not set. Set it in the environment "
        f"(or WAGEGUARD_ENV=dev to use the development defaults)."
    )


SECRET_KEY = env("WAGEGUARD_SECRET_KEY")
FIELD_KEY = env("WAGEGUARD_FIELD_KEY")
# Older field keys still able to decrypt (comma separated "version:hex" pairs), see docs/pii.md.
FIELD_KEYS_OLD = os.environ.get("WAGEGUARD_FIELD_KEYS_OLD", "")
DEBUG = DEV and os.environ.get("WAGEGUARD_DEBUG", "1") == "1"
ALLOWED_HOSTS = [h for h in env("WAGEGUARD_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "wageguard.core",
    "wageguard.registry",
    "wageguard.exchange",
    "wageguard.attendance",
    "wageguard.accounts",
    "wageguard.payroll",
    "wageguard.alerts",
    "wageguard.simulate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "wageguard.core.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wageguard.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wageguard.urls"
WSGI_APPLICATION = "wageguard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wageguard.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the Huey worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("WAGEGUARD_TEST_DB") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [] if DEV else [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [REPO_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("WAGEGUARD_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEV
CSRF_COOKIE_SECURE = not DEV

# Huey: SQLite storage embedded by default, Redis in production (WAGEGUARD_HUEY_URL=redis://...).
_huey_url = os.environ.get("WAGEGUARD_HUEY_URL", "")
HUEY = {
    "name": "wageguard",
    "immediate": os.environ.get("WAGEGUARD_HUEY_IMMEDIATE", "0") == "1",
    "consumer": {"workers": 2, "worker_type": "thread"},
}
if _huey_url.startswith("redis://"):
    HUEY.update({"huey_class": "huey.RedisHuey", "url": _huey_url})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

# Cache: shared between the web process and the Huey worker (import progress, …).
_redis_url = os.environ.get("WAGEGUARD_REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
    )
}

# ID-card readings: the whole payload, its photo (the chip's), refused readings kept per sender and day.
READING_MAX_BYTES = 512 * 1024
READING_PHOTO_MAX_BYTES = 256 * 1024
READING_REFUSALS_PER_DAY = int(os.environ.get("WAGEGUARD_READING_REFUSALS_PER_DAY", "50"))


# Alert notifications (SMS, e-mail): dotted paths of sender classes; the default writes to the log.
WAGEGUARD_ALERT_SENDERS = [path for path in os.environ.get("WAGEGUARD_ALERT_SENDERS", "wageguard.alerts.notify.LogSender").split(",")
                           if path.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WAGEGUARD_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
