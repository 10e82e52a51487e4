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
    "WAGEGUARD_AUDIT_KEY": "dev-only-audit-chain-key-do-not-use-in-production",
    "WAGEGUARD_EVIDENCE_KEY": "dev-only-evidence-signing-key-do-not-use-in-production",
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
# The audit chain's HMAC-SM3 key (never in the database), and retired keys still able to verify old entries.
AUDIT_KEY = env("WAGEGUARD_AUDIT_KEY")
AUDIT_KEYS_OLD = [k for k in os.environ.get("WAGEGUARD_AUDIT_KEYS_OLD", "").split(",") if k.strip()]  # newest first
if not DEV and (len(AUDIT_KEY) < 32 or AUDIT_KEY == _DEV_DEFAULTS["WAGEGUARD_AUDIT_KEY"]):
    raise ImproperlyConfigured("WAGEGUARD_AUDIT_KEY must be a secret of at least 32 characters (not the development default).")
# The HMAC-SM3 key that signs evidence packages' manifests (`wageguard evidence_verify` checks them with it).
EVIDENCE_KEY = env("WAGEGUARD_EVIDENCE_KEY")
EVIDENCE_KEYS_OLD = [k for k in os.environ.get("WAGEGUARD_EVIDENCE_KEYS_OLD", "").split(",") if k.strip()]  # retired, still verify
if not DEV and (len(EVIDENCE_KEY) < 32 or EVIDENCE_KEY == _DEV_DEFAULTS["WAGEGUARD_EVIDENCE_KEY"]):
    raise ImproperlyConfigured("WAGEGUARD_EVIDENCE_KEY must be a secret of at least 32 characters (not the development default).")
# Entries sealed before the chain was keyed (plain SM3): only a deployment that has them (the demo's, upgraded) may
# accept them, and only before its first keyed entry. A new deployment seals every entry.
AUDIT_LEGACY_ALLOWED = os.environ.get("WAGEGUARD_AUDIT_LEGACY", "1" if DEV else "0") == "1"
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_ratelimit",
    "wageguard.core",
    "wageguard.registry",
    "wageguard.exchange",
    "wageguard.attendance",
    "wageguard.accounts",
    "wageguard.payroll",
    "wageguard.alerts",
    "wageguard.credit",
    "wageguard.complaints",
    "wageguard.stats",
    "wageguard.simulate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "wageguard.core.middleware.ApiErrorShapeMiddleware",
    "wageguard.core.middleware.BodySizeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wageguard.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "wageguard.core.auth.SessionLimitMiddleware",
    "wageguard.core.middleware.RateLimitMiddleware",
    "wageguard.core.auth.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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
# Read scale-out (docs/scaling.md): statistics, reports and exports read from a streaming replica when one is set.
if os.environ.get("WAGEGUARD_READ_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["WAGEGUARD_READ_DATABASE_URL"], conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["wageguard.core.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Complexity (MLPS 2.0 level 3): in production; the demo's published logins keep their simple password.
AUTH_PASSWORD_VALIDATORS = [] if DEV else [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "wageguard.core.passwords.CharacterClassesValidator"},
]

# Sign-in (core/auth.py, docs/security.md): lockout in every environment, the demo included.
from datetime import timedelta  # noqa: E402

AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_USE_ATTEMPT_EXPIRATION = True  # failures count within a sliding 15 minutes
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # per account and per address, each on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "wageguard.core.auth.locked_out"
AXES_VERBOSE = False
# Second factor: "required" (every person, the production default), "optional" (those who enrolled; the demo).
WAGEGUARD_2FA = os.environ.get("WAGEGUARD_2FA", "optional" if DEV else "required")
if WAGEGUARD_2FA not in ("required", "optional"):
    raise ImproperlyConfigured("WAGEGUARD_2FA must be 'required' or 'optional'.")
OTP_TOTP_ISSUER = "山东省农民工工资支付监管平台"
SESSION_COOKIE_AGE = 30 * 60  # idle timeout; the 12-hour absolute limit is core.auth.SessionLimitMiddleware
SESSION_SAVE_EVERY_REQUEST = True

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
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Load balancers in front of the web tier: their number, to find the client's address in X-Forwarded-For (rate
# limits, lockouts, the audit log). Production sits behind one; set 0 if it faces clients directly.
WAGEGUARD_TRUSTED_PROXIES = int(os.environ.get("WAGEGUARD_TRUSTED_PROXIES", "0" if DEV else "1"))
AXES_CLIENT_IP_CALLABLE = "wageguard.core.middleware.client_ip"
if not DEV:  # TLS is terminated at the load balancer, which sets X-Forwarded-Proto
    SECURE_SSL_REDIRECT = os.environ.get("WAGEGUARD_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp): scripts only from here or with the request's nonce; no plug-ins, no
# framing. Styles allow inline attributes (the console's widths and ECharts' own).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF], "script-src": [SELF, NONCE], "style-src": [SELF, "'unsafe-inline'"], "img-src": [SELF, "data:"],
    "connect-src": [SELF], "font-src": [SELF], "object-src": [NONE], "base-uri": [SELF], "form-action": [SELF],
    "frame-ancestors": [NONE],
}}

# Request bodies: the whole body at most (uploads included), then 413; non-file data as Django caps it.
WAGEGUARD_MAX_BODY_BYTES = 25 * 1024 * 1024
# Rate limits (core/middleware.py): "<count>/<s|m|h>" per key, on the cache. Tests may turn them off.
RATELIMIT_ENABLE = os.environ.get("WAGEGUARD_RATELIMIT", "1") == "1"
RATELIMIT_USE_CACHE = "ratelimit"
# Where the public pages are reached from outside (the notice boards' QR codes point there).
WAGEGUARD_PUBLIC_URL = os.environ.get("WAGEGUARD_PUBLIC_URL", "http://127.0.0.1:8000")

# Text messages (workers' sign-in codes): a sender class (core/sms.py); the demo shows the code on screen.
WAGEGUARD_SMS_SENDER = os.environ.get("WAGEGUARD_SMS_SENDER", "wageguard.core.sms.LogSender")
WAGEGUARD_SMS_URL = os.environ.get("WAGEGUARD_SMS_URL", "")
WAGEGUARD_SMS_KEY = os.environ.get("WAGEGUARD_SMS_KEY", "")
WAGEGUARD_SMS_SHOW_CODE = DEV and os.environ.get("WAGEGUARD_SMS_SHOW_CODE", "1") == "1"
if not DEV and WAGEGUARD_SMS_SENDER.endswith(".LogSender") and os.environ.get("WAGEGUARD_SMS_LOG_ONLY") != "1":
    raise ImproperlyConfigured("WAGEGUARD_SMS_SENDER must send texts in production (e.g. wageguard.core.sms.HttpSender with "
                               "WAGEGUARD_SMS_URL and WAGEGUARD_SMS_KEY); set WAGEGUARD_SMS_LOG_ONLY=1 only where workers do not sign in.")

WAGEGUARD_RATE_LIMITS = {
    "anonymous": "60/m",           # pages without sign-in, per address (the login page, public pages)
    "login": "20/m",               # sign-in attempts per address (the lockout counts failures per account)
    "signed_key": "600/m",         # signed API requests per client key
    "signed_address": "1200/m",    # … and per address
    "signed_failures": "30/m",     # refused signatures per address
    "person_writes": "120/m",      # writes (POST) per signed-in person, console and session API
}

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
    ),
    # Rate-limit counters need an atomic increment shared by every web process: Redis in production; the demo's
    # single web process keeps them in its memory.
    "ratelimit": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
    ),
}
# django-ratelimit knows django-redis, not Django's own Redis cache (atomic too); the demo's in-memory cache is
# one process's (its single web process).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] + (["django_ratelimit.E003"] if DEV and not _redis_url else [])

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
