"""Settings for the integration, all read from the environment.

Two shapes share this file: the embedded default (SQLite, a broker kept in its own
SQLite file, no server process to install) and the production shape (PostgreSQL,
Redis), chosen by `INTEGRATION_ENV` and the URLs below.
"""

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("INTEGRATION_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

_BOOLEANS = {"true", "on", "ok", "y", "yes", "1", "false", "off", "n", "no", "0", ""}


class _Env(environ.Env):
    """django-environ, but a malformed value stops the start with a message that
    names the variable (it raises a bare ValueError or reads "maybe" as false).
    The value itself is not shown: it may be a secret or hold a password."""

    def get_value(self, var: str, cast: Any = None, *args: Any, **kwargs: Any) -> Any:
        raw = self.ENVIRON.get(var)
        if cast is bool and raw is not None and raw.strip().lower() not in _BOOLEANS:
            raise ImproperlyConfigured(f"{var} is malformed: expected true or false.")
        try:
            return super().get_value(var, cast, *args, **kwargs)
        except (ValueError, TypeError) as exc:
            kind = getattr(cast, "__name__", "a valid value")
            raise ImproperlyConfigured(f"{var} is malformed: expected {kind}.") from exc

    def db_url(
        self, var: str = "DATABASE_URL", *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        config = super().db_url(var, *args, **kwargs)
        if "ENGINE" not in config:
            raise ImproperlyConfigured(
                f"{var} is malformed: expected postgres://user:pw@host/db or sqlite:///path."
            )
        return dict(config)

    db = db_url


env = _Env()
# `make demo` writes the local encryption key here; a real deployment sets the
# variables in its environment instead.
for env_file in (BASE_DIR / ".env", VAR_DIR / "local.env"):
    if env_file.exists():
        environ.Env.read_env(str(env_file), overwrite=False)

INTEGRATION_ENV = env.str("INTEGRATION_ENV", default="development")
if INTEGRATION_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"INTEGRATION_ENV={INTEGRATION_ENV!r} is not known; "
        "use development, test or production."
    )
PRODUCTION = INTEGRATION_ENV == "production"


def _required_in_production(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} is not set. Production needs it in the environment; "
            "see the README's settings table."
        )
    return dev_default


SECRET_KEY = _required_in_production(
    "DJANGO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production"
)
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Keys for secrets stored at rest (client secrets, cached tokens). A list, newest
# first, so a key can be rotated without losing what the old one encrypted. Kept
# apart from SECRET_KEY on purpose: rotating that must not lose every secret.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS and not PRODUCTION:
    # Outside production, make a local key once and keep it in an ignored file.
    from cryptography.fernet import Fernet

    _local_key = Fernet.generate_key().decode()
    with (VAR_DIR / "local.env").open("a") as _local_env:
        _local_env.write(f"FIELD_ENCRYPTION_KEYS={_local_key}\n")
    FIELD_ENCRYPTION_KEYS = [_local_key]
if not FIELD_ENCRYPTION_KEYS and PRODUCTION:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS is not set. Generate one with "
        "`python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'` and set it in the environment."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "itsm",
    "appliances",
    "sessions.apps.SupportSessionsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "integration.urls"
WSGI_APPLICATION = "integration.wsgi.application"
AUTH_USER_MODEL = "itsm.User"
LOGIN_URL = "admin:login"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at once: WAL lets readers go on, the
    # busy timeout waits for the lock instead of failing, and IMMEDIATE takes the
    # write lock at BEGIN so two writers never deadlock on a lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "integration_cache",
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("INSTANCE_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]

FORMS_URLFIELD_ASSUME_HTTPS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "UNAUTHENTICATED_USER": None,
}

# --- Celery -------------------------------------------------------------------
# The embedded default keeps the broker in a SQLite file of its own: kombu's
# filesystem transport loses its worker on half-written messages under bursts.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Import tasks are bounded; the broker must never redeliver a task that is still
# running, so the visibility timeout stays well above the hard limit (the next
# attempt time lives in the database, never as a long countdown on the broker).
CELERY_TASK_TIME_LIMIT = env.int("IMPORT_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
BROKER_VISIBILITY_TIMEOUT = env.int("BROKER_VISIBILITY_TIMEOUT", default=3600)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        # A silent broker must not hang the web request that publishes to it.
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
        "max_retries": 1,
    }
else:
    # The SQLAlchemy transport hands these to create_engine; it takes none of the
    # socket options and has no visibility timeout (it never redelivers).
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# --- The integration's own settings ---------------------------------------------
INTEGRATION = {
    # Plain http to the appliance is allowed only to loopback, and only when this
    # is on (the bundled simulator); real appliances are reached over https.
    "ALLOW_HTTP_LOOPBACK": env.bool("APPLIANCE_ALLOW_HTTP_LOOPBACK", default=False),
    "CONNECT_TIMEOUT": env.float("APPLIANCE_CONNECT_TIMEOUT", default=5.0),
    "READ_TIMEOUT": env.float("APPLIANCE_READ_TIMEOUT", default=30.0),
    "MAX_429_RETRIES": env.int("APPLIANCE_MAX_429_RETRIES", default=3),
    # A Retry-After longer than this is not waited for inline: the call fails
    # and a background task reschedules it.
    "MAX_INLINE_WAIT": env.float("APPLIANCE_MAX_INLINE_WAIT", default=5.0),
    "TOKEN_RENEW_MARGIN": env.int("TOKEN_RENEW_MARGIN_SECONDS", default=300),
    "TOKEN_RENEW_WAIT": env.float("TOKEN_RENEW_WAIT_SECONDS", default=10.0),
    "REPORT_MAX_BYTES": env.int("REPORT_MAX_BYTES", default=512 * 1024 * 1024),
    "RECEIVER_MAX_BODY_BYTES": env.int("RECEIVER_MAX_BODY_BYTES", default=64 * 1024),
    "RECEIVER_TRUSTED_PROXIES": env.list("RECEIVER_TRUSTED_PROXIES", default=[]),
    # on_commit: the web process publishes each stored event after its commit.
    # outbox: the request only stores it; `manage.py dispatch_events` publishes.
    "RECEIVER_DISPATCH": env.str("RECEIVER_DISPATCH", default="on_commit"),
    "APPLIANCE_CACHE_SECONDS": env.float(
        "RECEIVER_APPLIANCE_CACHE_SECONDS", default=5.0
    ),
    "REJECTED_POST_RATE_PER_MINUTE": env.int("REJECTED_POST_RATE", default=30),
    "IMPORT_MAX_ATTEMPTS": env.int("IMPORT_MAX_ATTEMPTS", default=5),
    "IMPORT_RETRY_BASE_SECONDS": env.float("IMPORT_RETRY_BASE_SECONDS", default=30.0),
    "IMPORT_RETRY_MAX_SECONDS": env.float("IMPORT_RETRY_MAX_SECONDS", default=900.0),
    "IMPORT_CLAIM_SECONDS": env.int("IMPORT_CLAIM_SECONDS", default=900),
    "MISSING_ROW_RETRIES": 3,
    "MISSING_ROW_DELAY": 2.0,
    "SWEEP_INTERVAL_SECONDS": env.float("SWEEP_INTERVAL_SECONDS", default=5.0),
    "TRANSCRIPT_NOTE_MAX_CHARS": env.int("TRANSCRIPT_NOTE_MAX_CHARS", default=100_000),
    "APPLOG_RETENTION_DAYS": env.int("APPLOG_RETENTION_DAYS", default=90),
    # The scheduled pull reads back this far before its watermark, so sessions
    # that ended in the same second (or under a little clock skew) are not lost.
    "PULL_OVERLAP_SECONDS": env.int("PULL_OVERLAP_SECONDS", default=300),
    "PULL_FIRST_WINDOW_HOURS": env.int("PULL_FIRST_WINDOW_HOURS", default=24),
    # Longer than the task time limit: a running pull is never taken over.
    "PULL_CLAIM_SECONDS": env.int("PULL_CLAIM_SECONDS", default=900),
}

_AT_LEAST_ONE = (
    "CONNECT_TIMEOUT",
    "READ_TIMEOUT",
    "RECEIVER_MAX_BODY_BYTES",
    "REPORT_MAX_BYTES",
    "IMPORT_MAX_ATTEMPTS",
    "APPLOG_RETENTION_DAYS",
    "TRANSCRIPT_NOTE_MAX_CHARS",
)
for _name in _AT_LEAST_ONE:
    if not INTEGRATION[_name] > 0:
        raise ImproperlyConfigured(
            f"The setting {_name} must be greater than zero; check its environment "
            "variable (see the README's settings table)."
        )

if INTEGRATION["RECEIVER_DISPATCH"] not in {"on_commit", "outbox"}:
    raise ImproperlyConfigured(
        f"RECEIVER_DISPATCH={INTEGRATION['RECEIVER_DISPATCH']!r} is not known; "
        "use on_commit or outbox (with `manage.py dispatch_events` running)."
    )

CELERY_BEAT_SCHEDULE = {
    "sweep-outbound-events": {
        "task": "sessions.tasks.sweep_outbound_events_task",
        "schedule": INTEGRATION["SWEEP_INTERVAL_SECONDS"],
    },
    "purge-application-log": {
        "task": "appliances.tasks.purge_application_log_task",
        "schedule": 3600.0,
    },
}

# --- Logging --------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=PRODUCTION)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
