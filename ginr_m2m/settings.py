"""Settings for the GINR machine-to-machine API, read from the environment.

DJANGO_ENV selects the mode. "development" (the default) runs on the embedded
SQLite database with a throwaway secret key; "production" refuses to start
unless DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS are set for real. A `.env`
file beside manage.py (or the file DJANGO_ENV_FILE names) is read if present;
real environment variables win.
"""

import ipaddress
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from ginr_m2m.logging_config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(
    os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"), overwrite=False
)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"


def strict_bool(name, *, default):
    """An on/off setting that refuses anything but an explicit true or false."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in {"true", "1", "yes", "on"}:
        return True
    if raw in {"false", "0", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


# Only ever used in development; production refuses it below.
_DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEVELOPMENT_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"],
)

if PRODUCTION:
    if (
        SECRET_KEY == _DEVELOPMENT_SECRET_KEY
        or SECRET_KEY.startswith("django-insecure")
        or len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
    ):
        raise ImproperlyConfigured(
            "Production mode needs DJANGO_SECRET_KEY: at least 50 random "
            "characters, not a django-insecure key."
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production mode needs DJANGO_ALLOWED_HOSTS: the host names this "
            "service answers to, comma-separated, without '*'."
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off in production mode.")

INSTALLED_APPS = [
    # Django's admin, with the staff site that asks for a TOTP code.
    "ginr_m2m.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rangefilter",
    "oauth2_provider",
    "ginr",
    "oauth_clients",
]

MIDDLEWARE = [
    "ginr_m2m.middleware.RequestContextMiddleware",
    "ginr_m2m.middleware.HeadWithoutBodyMiddleware",
    "ginr_m2m.middleware.MethodNotAllowedAsProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "oauth_clients.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so that it sees the exceptions of every view.
    "ginr_m2m.problems.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "ginr_m2m.urls"
WSGI_APPLICATION = "ginr_m2m.wsgi.application"
# The API paths have no trailing slash; never redirect to one.
APPEND_SLASH = False

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
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", 60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A dead or unreachable server fails fast (503), and no statement can run
    # into gunicorn's worker timeout (GUNICORN_TIMEOUT, 30 s), which would kill
    # the worker and answer the client with a bare 502 from the proxy.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", 5))
    _statement_timeout_ms = env.int("DATABASE_STATEMENT_TIMEOUT_MS", 10000)
    # PostgreSQL's default (4) prices a random page read as if on a spinning
    # disk: at 100,000 GINRs it then hashes the whole GINR table to count one
    # TSP's 3,588, 45 ms instead of 9 ms by index (BENCHMARKS.md). 1.1 is the
    # usual value for SSDs or data in memory; empty keeps the server's own.
    _random_page_cost = env.str("DATABASE_RANDOM_PAGE_COST", "1.1")
    if _random_page_cost and not _random_page_cost.replace(".", "", 1).isdecimal():
        raise ImproperlyConfigured(
            "DATABASE_RANDOM_PAGE_COST must be a positive number or empty, "
            f"not {_random_page_cost!r}."
        )
    _server_options = [
        _options.get("options", ""),
        f"-c statement_timeout={_statement_timeout_ms}",
    ]
    if _random_page_cost:
        _server_options.append(f"-c random_page_cost={float(_random_page_cost)}")
    _options["options"] = " ".join(filter(None, _server_options))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate and failure counters must be shared by every worker and instance:
# Redis when REDIS_URL is set. The in-memory fallback is exact only for a
# single process.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
]

# Staff passwords keep Django's slow default; the client-secret hasher comes
# after it so that it is never chosen for people, only named for secrets.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "oauth_clients.hashers.ClientSecretHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- OAuth 2.0 authorization server (django-oauth-toolkit) -----------------

# Swapped from the first migration: every client belongs to exactly one TSP.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth_clients.M2MClient"
GINR_READ_SCOPE = "ginr:read"
# Lets a client (say a gateway in front of another resource server) ask
# /oauth/introspect about tokens; granted per client, never by default.
INTROSPECTION_SCOPE = "introspection"
ACCESS_TOKEN_MAX_SECONDS = 3600

# Failed client authentications allowed per window before /oauth/token,
# /oauth/revoke and /oauth/introspect refuse without checking the secret.
CLIENT_AUTH_FAILURE_LIMITS = {
    "per_client": env.int("AUTH_FAILURES_PER_CLIENT", default=10),
    "per_address": env.int("AUTH_FAILURES_PER_ADDRESS", default=50),
    "period": env.int("AUTH_FAILURE_WINDOW_SECONDS", default=300),
}

OAUTH2_PROVIDER = {
    "SCOPES": {
        GINR_READ_SCOPE: "Read the GINRs assigned to the client's TSP",
        INTROSPECTION_SCOPE: "Introspect access tokens (RFC 7662)",
    },
    # Never "__all__": a client that omits scope gets what it was granted.
    "DEFAULT_SCOPES": [GINR_READ_SCOPE],
    "SCOPES_BACKEND_CLASS": "oauth_clients.scopes.ClientScopes",
    "APPLICATION_ADMIN_CLASS": "oauth_clients.admin.M2MClientAdmin",
    "OAUTH2_VALIDATOR_CLASS": "oauth_clients.validators.ClientCredentialsValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int(
        "OAUTH_ACCESS_TOKEN_SECONDS", default=ACCESS_TOKEN_MAX_SECONDS
    ),
    # Only the client-credentials grant exists here; any other grant_type is
    # unsupported_grant_type, never processed.
    "OAUTH2_SERVER_CLASS": "oauthlib.oauth2.BackendApplicationServer",
    "CLIENT_SECRET_HASHER": "client_secret_sha256",
    # Every RFC 9700 hardening django-oauth-toolkit offers is on, including
    # those for grants this service never routes, so that none can be
    # reached by a later routing mistake and `check --deploy` stays clean.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["client_credentials"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": [],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
    ],
}
if OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"] > ACCESS_TOKEN_MAX_SECONDS:
    raise ImproperlyConfigured(
        f"OAUTH_ACCESS_TOKEN_SECONDS may be at most {ACCESS_TOKEN_MAX_SECONDS}."
    )

# --- The read-only GINR API (Django REST framework) --------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oauth_clients.authentication.ClientCredentialsAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ginr.api.permissions.HasGinrReadScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["ginr.api.throttling.ClientRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ginr.api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": False,
}

# Per-client API quota; staff can set another per client.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)

# Routes /benchmark/bare, a constant JSON view that benchmarks/run.py compares
# the API with. Never on in normal operation.
BENCHMARK_BARE_VIEW = env.bool("BENCHMARK_BARE_VIEW", default=False)

SPECTACULAR_SETTINGS = {
    "TITLE": "GINR machine-to-machine API",
    "DESCRIPTION": (
        "Read-only access for a TSP's systems to the ERCOT GINRs assigned to "
        "the TSP, with OAuth 2.0 client credentials."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/ginr/rest",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "PREPROCESSING_HOOKS": ["ginr.api.schema.only_ginr_paths"],
}

CSRF_FAILURE_VIEW = "ginr_m2m.problems.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    # TLS ends at the proxy in front of gunicorn, which sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Machine clients send no form bodies but tokens requests; nothing here needs
# more (Django's default is 2.5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# Staff sign in to /admin/ with a password and a TOTP code (django-otp); on
# by default in production, off with a banner on every admin page elsewhere.
ADMIN_REQUIRE_OTP = env.bool("DJANGO_ADMIN_REQUIRE_OTP", default=PRODUCTION)
OTP_TOTP_ISSUER = "ERCOT GINR M2M"
# A TOTP key is shown when its device is added, never again in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Token events, credential events and access records older than this are
# deleted by `manage.py purge_audit_logs` (run it daily, like cleartokens).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=400)
# One access record per API request, for auditors. Switching it off exists to
# measure what it costs (benchmarks/run.py); `manage.py check` warns while it
# is off, because auditors then cannot see who read what.
# Strictly true or false: django-environ reads any other word as false, and a
# typo must not switch the audit trail off.
AUDIT_ACCESS_RECORDS = strict_bool("AUDIT_ACCESS_RECORDS", default=True)

# Error reports also hide Authorization headers (Basic secrets, bearer tokens).
DEFAULT_EXCEPTION_REPORTER_FILTER = "ginr_m2m.reporting.CredentialSafeReporterFilter"

# --- Operation: logs, health, metrics -----------------------------------------

# JSON lines in production (one object a line, with request_id, client_id and
# tsp_id on every line of a request); plain text for people in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = logging_config(
    level=env.str("LOG_LEVEL", "INFO"), json_lines=LOG_FORMAT == "json"
)

# Readiness waits this long for a fresh database connection and for Redis.
HEALTH_CHECK_TIMEOUT = env.int("HEALTH_CHECK_TIMEOUT", default=2)

# /metrics answers 404 unless enabled, and then only to a scraper that sends
# METRICS_TOKEN as a bearer token or comes from METRICS_ALLOWED_NETWORKS.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(network)
        for network in env.list("METRICS_ALLOWED_NETWORKS", default=[])
        if network
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc
