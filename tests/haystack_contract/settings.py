"""Settings for haystack's own Whoosh backend tests, run against this project's engine.

Trimmed from test_haystack/settings.py at django-haystack v3.4.0 (BSD licence, see LICENSE): only
the apps, templates and connections the Whoosh tests use; "whoosh" is kzarchive's engine.
"""

from tempfile import mkdtemp

ENGINE = "articles.whoosh.backend.ArchiveWhooshEngine"

SECRET_KEY = "haystack-contract-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "haystack",
    "tests.haystack_contract.discovery",
    "tests.haystack_contract.core",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
ROOT_URLCONF = "tests.haystack_contract.core.urls"
HAYSTACK_CONNECTIONS = {
    "default": {"ENGINE": "tests.haystack_contract.mocks.MockEngine"},
    "whoosh": {"ENGINE": ENGINE, "PATH": mkdtemp(prefix="kzarchive-haystack-contract"), "INCLUDE_SPELLING": True},
}
