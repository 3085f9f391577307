"""Settings, read from the environment (see README.md for every variable)."""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_float, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))  # its folders are made where they are written


def _secret_key():
    """SECRET_KEY from the environment, else one generated once and kept in var/ (never in the database)."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind TLS (production), everything secure; the local demo serves plain HTTP on 127.0.0.1.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",  # before dashboard: its failed sign-in handler must count a failure before ours reads the count
    "dashboard",
    "provisioning",
    "releases",
    "notifications",
    "ninja",  # its Swagger page's scripts and styles from our own static files, not a CDN
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "releases.web.unchanged_polls.answered_console_polls",  # most polls, answered in one read (its docstring)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "dashboard.acting.ActingRequestMiddleware",
    "dashboard.middleware.roles_read_once",
    "dashboard.middleware.no_store_when_signed_in",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lock-out into its page
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

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
                "dashboard.roles.role_context",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# Optional: the sandbox console (sandbox_console/: the demo's page for the local sandbox AWS and its sample image
# push), on with SANDBOX_CONSOLE=1, which `make demo` and the tests set; `make serve` and production leave it out.
# It goes before provisioning because its `provision` command extends the product's with --sample-image.
SANDBOX_CONSOLE = env_bool("SANDBOX_CONSOLE", False)
SANDBOX_HEALTH_SECONDS = 15.0  # how often a worker looks whether the endpoint is the sandbox
OPTIONAL_BEAT_SCHEDULE = {}  # beat tasks of the optional apps (dashboard/celery.py adds them)
if SANDBOX_CONSOLE:
    INSTALLED_APPS.insert(INSTALLED_APPS.index("provisioning"), "sandbox_console")
    OPTIONAL_BEAT_SCHEDULE["sandbox-health"] = {
        "task": "sandbox_console.tasks.record_health",
        "schedule": SANDBOX_HEALTH_SECONDS,
    }

DATABASES = {
    "default": dj_database_url.parse(
        env_url(
            "DATABASE_URL",
            f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
            schemes=("sqlite", "postgres", "postgresql"),
        ),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # A file, not memory, so that worker processes started by tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Local accounts (user name and password) are for the demo and break-glass use; LOCAL_SIGN_IN=false turns them off
# once single sign-on is set up.
LOCAL_SIGN_IN = env_bool("LOCAL_SIGN_IN", True)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out user name and address before the password is tried
    *(["django.contrib.auth.backends.ModelBackend"] if LOCAL_SIGN_IN else []),
    "dashboard.sso.GroupRoleBackend",  # single sign-on, when OIDC_ISSUER is set
]

# Single sign-on with OpenID Connect (dashboard/sso.py): the provider's endpoints are discovered from its issuer.
OIDC_ISSUER = env_url("OIDC_ISSUER")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")  # or OIDC_CLIENT_SECRET_FILE
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_ROLE_GROUPS = {  # the provider's groups that give each role, e.g. OIDC_OPERATOR_GROUPS=release-managers,sre
    "viewer": env_list("OIDC_VIEWER_GROUPS"),
    "operator": env_list("OIDC_OPERATOR_GROUPS"),
    "admin": env_list("OIDC_ADMIN_GROUPS"),
}
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
LOGIN_REDIRECT_URL_FAILURE = "/sign-in/"
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (or _FILE) too.")
# Sign-in lock-out (django-axes): after SIGN_IN_LOCKOUT_FAILURES failures of one user name from one address, that
# pair is refused for SIGN_IN_LOCKOUT_MINUTES after its last counted failure. The pair, not the name alone (anyone
# could lock anyone out) nor the address alone (everyone behind one office proxy would share a count).
SIGN_IN_LOCKOUT_FAILURES = env_int("SIGN_IN_LOCKOUT_FAILURES", 5, minimum=1)
SIGN_IN_LOCKOUT_MINUTES = env_int("SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = SIGN_IN_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=SIGN_IN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "dashboard.sign_in_limits.attempt_username"  # an unknown name counts as "unknown user"
AXES_LOCKOUT_CALLABLE = "dashboard.sign_in_limits.lockout_response"
AXES_RESET_ON_SUCCESS = True  # a right password (which the attacker lacks) clears the pair's count
# While locked out, tries are refused and not counted: the lock-out ends on time, and nothing grows with them.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit log already
AXES_VERBOSE = False  # no start-up line in every process
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Celery: JSON only; with no REDIS_URL, a broker in var/ that needs no server (the demo's default).
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    _broker_dir = VAR_DIR / "broker"  # dashboard/broker.py makes its folders
    CELERY_BROKER_URL = "filesystem://localhost//"  # a host named, or kombu warns at every start
    CELERY_BROKER_TRANSPORT = "dashboard.broker:Transport"  # kombu's filesystem one, each message written whole
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,  # seconds between looks for a new task (kombu's default: 1)
    }

# The cache: the console's rendered fragments (releases/web/fragment_cache.py) and, with Redis, the sessions.
# With no REDIS_URL (the demo), each process keeps its own in memory. That is right for the fragments, whose keys
# carry the target's version (each process renders a version once, and never serves an older one), but not for
# sessions: a process's copy would outlive a sign-out made through another process, so they stay in the database.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # a page's session read from Redis, not a row
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}}}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # the database row of each job is the truth about it
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# AWS: region and credentials from the usual chain (AWS_PROFILE, environment, instance role);
# AWS_ENDPOINT_URL points every client at another endpoint, such as the local sandbox.
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
AWS_PROFILE = env_str("AWS_PROFILE")
AWS_ENDPOINT_URL = env_url("AWS_ENDPOINT_URL")
AWS_CONNECT_TIMEOUT = env_float("AWS_CONNECT_TIMEOUT", 5.0, minimum=0.1)
AWS_READ_TIMEOUT = env_float("AWS_READ_TIMEOUT", 20.0, minimum=0.1)
AWS_MAX_ATTEMPTS = env_int("AWS_MAX_ATTEMPTS", 5, minimum=1, maximum=20)

# Background work: how often the wizard looks again while it waits, how long a worker holds a step before
# another may take it over, an optional queue for wizard tasks, and how often releases are refreshed.
PROVISIONING_POLL_SECONDS = env_float("PROVISIONING_POLL_SECONDS", 5.0, minimum=0.1)
PROVISIONING_LEASE_SECONDS = env_int("PROVISIONING_LEASE_SECONDS", 120, minimum=1)
# Every other job (an action, a tracking request, a check): how long a worker may hold one without renewing it,
# and how often beat's sweeper looks for jobs whose worker died.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 90, minimum=1)
JOBS_SWEEP_SECONDS = env_float("JOBS_SWEEP_SECONDS", 10.0, minimum=0.5)
# An action sent whose answer was lost (a read timeout): how long AWS is given to apply it before its state is read.
ACTION_RECONCILE_SECONDS = env_float("ACTION_RECONCILE_SECONDS", 60.0, minimum=0.5)
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 15.0, minimum=1)
JOBS_QUEUE = env_str("JOBS_QUEUE")  # blank: Celery's default queue
PROVISIONING_QUEUE = env_str("PROVISIONING_QUEUE")
# Live updates (releases/worker/polling.py, bench/live_lag.py): a target is refreshed from AWS every ACTIVE seconds
# while a release moves, every IDLE seconds otherwise, and an idle one is probed with one cheap call every
# PROBE seconds so that a new release shows within seconds; pages ask the database every PAGE (PAGE_IDLE) seconds.
RELEASES_ACTIVE_POLL_SECONDS = env_float("RELEASES_ACTIVE_POLL_SECONDS", 1.0, minimum=0.5)
RELEASES_IDLE_POLL_SECONDS = env_float("RELEASES_IDLE_POLL_SECONDS", 60.0, minimum=5)
RELEASES_IDLE_PROBE_SECONDS = env_float("RELEASES_IDLE_PROBE_SECONDS", 3.0, minimum=1)
RELEASES_PAGE_POLL_SECONDS = env_float("RELEASES_PAGE_POLL_SECONDS", 1.0, minimum=0.5)
RELEASES_PAGE_IDLE_POLL_SECONDS = env_float("RELEASES_PAGE_IDLE_POLL_SECONDS", 2.0, minimum=1)
RELEASES_SUMMARY_POLL_SECONDS = env_float("RELEASES_SUMMARY_POLL_SECONDS", 5.0, minimum=1)  # the targets' table
# How often a page asks about an unfinished job it shows (a wizard step, an action, a check), from the database.
JOB_POLL_SECONDS = env_float("JOB_POLL_SECONDS", 1.0, minimum=0.5)
# Four eyes: how long a request waits for a second operator before it expires.
FOUR_EYES_MINUTES = env_float("FOUR_EYES_MINUTES", 30.0, minimum=1.0)

# Notifications (notifications/): links in them start at PUBLIC_URL, the address people open the dashboard at.
PUBLIC_URL = env_url("PUBLIC_URL", "http://127.0.0.1:8000")
NOTIFY_TIMEOUT_SECONDS = env_float("NOTIFY_TIMEOUT_SECONDS", 5.0, minimum=0.1)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_SECONDS = env_float("NOTIFY_RETRY_SECONDS", 30.0, minimum=0.1)  # doubled after each failed try
NOTIFY_SOON_MINUTES = env_int("NOTIFY_SOON_MINUTES", 10, minimum=1)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")  # or EMAIL_HOST_PASSWORD_FILE
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "bluegreen-dashboard@localhost")

# The JSON API (api/): calls per minute per token (then 429), the longest life a token may be given, how often
# a token's last-used time is written, and whether every read is audited: calls that change something always are,
# reads by default only by each token's first read of each minute, as each audited read takes the audit chain's
# lock and at 200 reads a second they queue behind it (bench/api_latency.py).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)
API_LAST_USED_SECONDS = env_int("API_LAST_USED_SECONDS", 60, minimum=1)
API_AUDIT_READS = env_bool("API_AUDIT_READS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"routine": {"()": "dashboard.logs.RoutineTaskLines"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        # The worker's and beat's line for each routine task (every second or so) shows at DEBUG only.
        **{name: {"filters": ["routine"]} for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat")},
    },
}
