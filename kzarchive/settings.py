"""kzarchive settings: safe embedded defaults, everything an operator changes comes from the environment.

See `.env.example` for the variables. Development (DEBUG=1, the default) runs on SQLite and a Whoosh
index under `var/`; production (DEBUG=0) refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """A flag; set but empty (as compose files pass unset variables) means the default, not false."""
    return env.bool(name, default=default) if env.str(name, default="").strip() else default


def env_list(name: str) -> list[str]:
    """Comma-separated values, spaces around them and empty ones dropped."""
    return [item.strip() for item in env.list(name, default=[]) if item.strip()]


DEBUG = env_bool("DEBUG", True)
DATA_DIR = Path(env.str("KZARCHIVE_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG=0 (generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = DEV_SECRET_KEY
elif not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is the development key; set a secret one when DEBUG=0.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set in the environment when DEBUG=0 "
            "(comma-separated host names, e.g. ALLOWED_HOSTS=archive.example.org)."
        )
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before haystack: articles overrides its update_index and rebuild_index commands (one bulk writer per
    # run, no empty index during a rebuild, progress; articles/management/commands/).
    "articles",
    "haystack",
]

MIDDLEWARE = [
    # The header middlewares come first, so they wrap every response, including SecurityMiddleware's
    # HTTP->HTTPS redirect (which answers before any middleware after it runs).
    "articles.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "articles.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "articles.lockout.LoginLockoutMiddleware",
    "articles.middleware.SearchUnavailableMiddleware",
]

ROOT_URLCONF = "kzarchive.urls"

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

WSGI_APPLICATION = "kzarchive.wsgi.application"

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'kzarchive.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers alongside one writer (web workers + ingest); wait instead of "database is locked".
    # Connections are kept (CONN_MAX_AGE, as for PostgreSQL): a new one per request cost each search ~4 ms
    # (open, WAL pragma, a cold page cache) in a gunicorn worker at 100,000 articles.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The lockout backend goes first: while a username+address is locked out, no password is checked.
AUTHENTICATION_BACKENDS = [
    "articles.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# Files browsers ask for at the site root (/favicon.ico: the admin and plain-text pages link no icon).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Search -----------------------------------------------------------------------------------
# Default: an embedded Whoosh index through kzarchive's own backend subclass (articles/whoosh/).
# HAYSTACK_URL switches engines through haystack's own backends:
#   solr://host:8983/solr/kzarchive  or  elasticsearch://host:9200/kzarchive  (see README, "Scale-out"),
#   or simple:// (haystack's own engine: database lookups, no index; `make test` runs search tests on it).
WHOOSH_PATH = Path(env.str("WHOOSH_PATH", default=str(DATA_DIR / "whoosh_index")))


def haystack_connections(url: str) -> dict:
    if not url:
        whoosh = {"ENGINE": "articles.whoosh.backend.ArchiveWhooshEngine", "PATH": str(WHOOSH_PATH)}
        # Worker processes of a rebuild (default: the machine's cores, at most 4).
        if env.str("WHOOSH_WRITER_PROCS", default=""):
            whoosh["WRITER_PROCS"] = env.int("WHOOSH_WRITER_PROCS")
        return whoosh
    scheme, _, rest = url.partition("://")
    if scheme == "simple":
        return {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}
    if scheme not in {"solr", "elasticsearch", "elasticsearch7"}:
        raise ImproperlyConfigured(f"HAYSTACK_URL scheme {scheme!r} is not one of solr, elasticsearch, simple.")
    # elasticsearch:// means the Elasticsearch 7 backend here (django-environ's would be 1.x).
    config = env.search_url_config("elasticsearch7://" + rest if scheme == "elasticsearch" else url)
    if "INDEX_NAME" in config:
        config["INDEX_NAME"] = config["INDEX_NAME"] or "kzarchive"
    return config


HAYSTACK_CONNECTIONS = {"default": haystack_connections(env.str("HAYSTACK_URL", default=""))}
# Index errors must surface in development and tests (haystack swallows them by default).
HAYSTACK_SILENTLY_FAIL = env_bool("HAYSTACK_SILENTLY_FAIL", False)
HAYSTACK_SIGNAL_PROCESSOR = "articles.signals.ArticleSignalProcessor"
HAYSTACK_SEARCH_RESULTS_PER_PAGE = 20
# Only one model is indexed; the per-query registered-models filter costs a full scoring pass.
HAYSTACK_LIMIT_TO_REGISTERED_MODELS = False

# Bounds on one search's cost (articles/query_bounds.py): words that prefixes, wildcards and fuzzy terms
# may expand to, in all, and seconds to collect matches before answering with what was found.
SEARCH_MAX_EXPANSIONS = env.int("SEARCH_MAX_EXPANSIONS", default=1000)
SEARCH_TIME_BUDGET = env.float("SEARCH_TIME_BUDGET", default=1.0)
# Keep recent queries' matches per worker (articles/whoosh/query_cache.py); 0 searches anew every time.
KZARCHIVE_QUERY_CACHE = env.bool("KZARCHIVE_QUERY_CACHE", default=True)

# Longest request line (method, path with query string, protocol) the archive answers; a longer one gets 414
# (JSON under /api/) from articles.middleware.RequestLimitsMiddleware. It must stay below gunicorn's hard
# limit (gunicorn.conf.py, 8,190 bytes, gunicorn's maximum), past which gunicorn answers with its own page.
REQUEST_LINE_LIMIT = env.int("REQUEST_LINE_LIMIT", default=6144)

# --- Ingest -----------------------------------------------------------------------------------
# Largest file ingest accepts; a news article is rarely above 1 MB, even as a saved page.
INGEST_MAX_BYTES = env.int("INGEST_MAX_BYTES", default=5 * 1024 * 1024)
# Analysis tools (articles/analysis/): how much text one request may read before it stops with a notice.
ANALYSIS_MAX_ARTICLES = env.int("ANALYSIS_MAX_ARTICLES", default=5000)
ANALYSIS_MAX_CHARS = env.int("ANALYSIS_MAX_CHARS", default=40_000_000)  # ~6 million words: a few seconds of counting
ANALYSIS_MAX_LINES = env.int("ANALYSIS_MAX_LINES", default=20000)
CURATED_METADATA_FILE = BASE_DIR / "fixtures" / "curated.json"

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Accounts exist only for the admin: after login without a safe `?next=` (missing, or pointing at another
# site, which Django refuses), land on the admin index, not Django's default /accounts/profile/ (a 404).
LOGIN_REDIRECT_URL = "admin:index"

# Login lockout (articles/lockout.py): 5 failures for one username from one address within 15 minutes
# lock that pair out for 15 minutes. The counters are rows of the database (LoginAttempts), so every
# gunicorn worker (and host) sees the same ones, and each test's transaction rolls them back.
LOGIN_LOCKOUT_FAILURES = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
LOGIN_LOCKOUT_WINDOW = env.int("LOGIN_LOCKOUT_WINDOW", default=15 * 60)
LOGIN_LOCKOUT_DURATION = env.int("LOGIN_LOCKOUT_DURATION", default=15 * 60)
# Behind a reverse proxy REMOTE_ADDR is the proxy's; name the header it sets (e.g. HTTP_X_REAL_IP).
LOGIN_LOCKOUT_IP_HEADER = env.str("LOGIN_LOCKOUT_IP_HEADER", default="")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "server": {"class": "logging.StreamHandler", "formatter": "server"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # Django's default logging gives "django" a console handler of its own *and* lets it propagate to
    # the root's, so runserver printed every message twice ("Not Found: /x"). Here "django" only
    # propagates; runserver's request lines ("django.server") keep their own timestamped handler.
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}
