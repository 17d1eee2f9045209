"""Settings of the portal, read from the environment (one module).

Nothing set: the embedded default a newcomer gets (SQLite under var/, Celery tasks run
eagerly in-process, files under var/media, e-mail printed to the console).
DATABASE_URL / REDIS_URL set: PostgreSQL, a Redis broker and real Celery workers.
DJANGO_ENV=production: deployment hardening; refuses to start without SECRET_KEY and
ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# An optional .env file beside manage.py; real environment variables win.
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(str(BASE_DIR / ".env"), overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development").strip().lower()
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, production or test, not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not env.str(name, default="").strip()]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production refuses to start without "
            + " and ".join(missing)
            + ". Set "
            + ", ".join(missing)
            + " in the environment (SECRET_KEY: at least 50 random characters; "
            "ALLOWED_HOSTS: comma-separated host names)."
        )
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    DEBUG = False
else:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="dev-only-insecure-key-never-used-in-production-0123456789abcdef"
    )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework.authtoken",
    "axes",
    "csp",
    "django_htmx",
    "guardian",
    "portal",
    "portal.project",
    "programs",
    "scoring",
    "submissions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.project.urls"
WSGI_APPLICATION = "portal.project.wsgi.application"
ASGI_APPLICATION = "portal.project.asgi.application"

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
                "portal.context_processors.actor",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The planner's cost of a random page read: its default (4) is for spinning disks; on SSD or with
    # the tables in memory an index lookup per row beats a hash join over a whole table for a page of
    # rows (the queue's rows read their reviews by index: 1.4 ms instead of 5 ms at 20,000 rows).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1)}")
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_NAME", default="test_portal"
    )
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_NAME", default=""
    ) or None
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

AUTHENTICATION_BACKENDS = [
    "portal.security.LoginLockoutBackend",  # django-axes: refuses while an account or address is locked
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Argon2id tuned for many logins at once (portal/hashers.py); PBKDF2 hashes upgrade at the next login.
PASSWORD_HASHERS = [
    "portal.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Languages and time -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "portal" / "static"]
# Front-end libraries pinned in package-lock.json (`make install` runs npm ci), served under static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
VENDOR_ASSETS = {
    "vendor/pdfjs": NODE_MODULES / "pdfjs-dist" / "build",
    "vendor/pdfjs-web": NODE_MODULES / "pdfjs-dist" / "web",
    "vendor/pdfjs-cmaps": NODE_MODULES / "pdfjs-dist" / "cmaps",
    "vendor/pdfjs-fonts": NODE_MODULES / "pdfjs-dist" / "standard_fonts",
    "vendor/echarts": NODE_MODULES / "echarts" / "dist",
    "vendor/tom-select": NODE_MODULES / "tom-select" / "dist",
    "vendor/flatpickr": NODE_MODULES / "flatpickr" / "dist",
    "vendor/axe-core": NODE_MODULES / "axe-core",
}
STATICFILES_DIRS += [(prefix, path) for prefix, path in VENDOR_ASSETS.items() if path.is_dir()]
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve static files straight from the apps in development
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded files are never served from a public URL: views stream them after an access check.
MEDIA_URL = "/media-not-public/"
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
# Shared object storage for uploads and generated documents, so several web and worker nodes see the
# same files: FILE_STORAGE=s3 with an S3-compatible service (MinIO in docker-compose). The files stay
# private (no public ACL, no public URL): the portal streams them after its access checks.
FILE_STORAGE = env.str("FILE_STORAGE", default="local").strip().lower()
if FILE_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured(f"FILE_STORAGE must be local or s3, not {FILE_STORAGE!r}.")
if FILE_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("S3_REGION", default="us-east-1"),
            "location": env.str("S3_PREFIX", default=""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Redis, cache, Celery ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host named: kombu warns otherwise
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# A 200-page packet peaks at about 440 MiB (tests/bench/bench_packets.py): a child is replaced once it
# has grown past 600 MiB, so WeasyPrint's growth is bounded without recycling after every big packet.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 600_000  # KiB
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600 * 2}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": 3600 * 2}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "calendar-coverage-check": {
        "task": "programs.tasks.warn_missing_calendar_years",
        "schedule": 24 * 3600,
    },
    # Idempotent (each reminder sent is recorded): hourly runs send each reminder once.
    "review-stage-deadline-reminders": {
        "task": "submissions.review.tasks.send_stage_deadline_reminders",
        "schedule": 3600,
    },
    # Documents whose dispatch was lost (broker down at commit) or whose worker died are re-sent.
    "document-jobs-requeue": {
        "task": "submissions.documents.tasks.requeue_pending_documents",
        "schedule": 300,
    },
    # E-mails left unsent in the outbox (dispatch lost at commit, failed attempts) are sent, once each.
    "outbox-sweep": {
        "task": "portal.tasks.outbox_sweep",
        "schedule": 300,
    },
    # Draft versions: every version of the last hour, then the last one of each hour.
    "draft-versions-compact": {
        "task": "submissions.filing.tasks.compact_draft_versions",
        "schedule": 3600,
    },
}
CELERY_IMPORTS = ["submissions.review.tasks", "submissions.documents.tasks", "submissions.filing.tasks"]

# --- Documents: Office conversion and the portal's signing certificate -------------------------
SOFFICE_BINARY = env.str("SOFFICE_BINARY", default="")  # empty: `soffice` found on PATH
SOFFICE_TIMEOUT = env.int("SOFFICE_TIMEOUT", default=180)
# PAdES signatures of every document: PEM key and certificate (chain). Empty in the embedded
# default: a self-signed portal certificate is made under var/signing/ at set-up (or first use).
SIGNING_KEY_FILE = env.str("SIGNING_KEY_FILE", default="")
SIGNING_CERT_FILE = env.str("SIGNING_CERT_FILE", default="")
SIGNING_KEY_PASSPHRASE = env.str("SIGNING_KEY_PASSPHRASE", default="")
SIGNING_DIR = VAR_DIR / "signing"
# GB/T 9704 letters: licensed font families where a bureau has them (open defaults otherwise)
LETTER_FONT_FANGSONG = env.str("LETTER_FONT_FANGSONG", default="")
LETTER_FONT_XIAOBIAOSONG = env.str("LETTER_FONT_XIAOBIAOSONG", default="")
LETTER_FONT_KAITI = env.str("LETTER_FONT_KAITI", default="")
# Long tables (summary tables) are set by ReportLab, which embeds TrueType fonts only: the families
# (installed, found by fontconfig) of the body and of the title and column heads.
TABLE_FONT = env.str("TABLE_FONT", default="AR PL UMing CN")
TABLE_FONT_HEADING = env.str("TABLE_FONT_HEADING", default="WenQuanYi Micro Hei")

# --- E-mail ------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")

# --- REST API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # per-user tokens (account page) first, so an unauthenticated call is answered 401; no HTTP Basic
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # one JSON reader (exact decimals, no NaN/Infinity) and one translation of service errors
    "DEFAULT_PARSER_CLASSES": [
        "portal.json_input.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Technology Innovation Platform Portal API",
    "DESCRIPTION": "Read and write the portal's data under the same access rules as its pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # Swagger UI served by the portal (drf-spectacular-sidecar), never a CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # the schema and its docs need a signed-in user in production
    "SERVE_PERMISSIONS": ["portal.security.SchemaAccess"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "portal.api_schema.document_error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "portal.constants.OrgKind",
        "RegionKindEnum": "portal.constants.RegionKind",
        "CallKindEnum": "programs.constants.CallKind",
        "ConditionKindEnum": "programs.constants.ConditionKind",
        "CallStatusEnum": "programs.constants.CallStatus",
        "RegionLevelEnum": "portal.constants.RegionLevel",
        "ApplicationStatusEnum": "submissions.constants.Status",
        "ApplicationLevelEnum": "submissions.constants.Level",
        "StageLevelEnum": "programs.constants.StageLevel",
        "DocumentKindEnum": "submissions.constants.DocumentKind",
        "DocumentFormatEnum": "submissions.constants.DocumentFormat",
        "DocumentStatusEnum": "submissions.constants.DocumentStatus",
    },
}

# --- django-guardian ------------------------------------------------------------------
ANONYMOUS_USER_NAME = None  # no anonymous user row: anonymous visitors get no object grants
GUARDIAN_RAISE_403 = False

# --- Security ------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    # Behind the reverse proxy the health check of the proxy talks plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# --- Portal --------------------------------------------------------------------------
# Where the administrative division list lives (read by the region fixture builder).
SHARED_DATA_DIR = Path(env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))
PORTAL_SHOW_DEMO_PASSWORDS = not PRODUCTION and not REDIS_URL and not USING_POSTGRES

# --- Hardening: login lockout, Content-Security-Policy, uploads ---------------------------
# django-axes: 5 failed sign-ins for one account, or from one address, within 15 minutes lock that
# account or address for 15 minutes (operators unlock on the operations site, audited).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "portal.security.client_ip"
# Behind nginx (deploy/nginx.conf sets X-Real-IP) the client's address comes from the proxy.
PORTAL_TRUST_X_REAL_IP = env.bool("TRUST_X_REAL_IP", default=PRODUCTION)

# django-csp: no inline script or style anywhere; templates load static files only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

# Office files are zip containers: refused before acceptance when they would unpack to more than
# this in total, or (past 10 MB unpacked) unpack to more than this many times their packed size.
UPLOAD_ZIP_MAX_UNCOMPRESSED = env.int("UPLOAD_ZIP_MAX_UNCOMPRESSED_MB", default=200) * 1024 * 1024
UPLOAD_ZIP_MAX_RATIO = env.int("UPLOAD_ZIP_MAX_RATIO", default=100)
UPLOAD_ZIP_MAX_MEMBERS = env.int("UPLOAD_ZIP_MAX_MEMBERS", default=10_000)

# Password reset links expire after this many seconds (and work once: the token changes with the password).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
