"""Shared fixtures: a throwaway Whoosh index per test session (per xdist worker) and the seeded archive.

Index updates run on transaction commit; pytest-django wraps each test in a transaction that never
commits, so fixtures that write articles run the captured on-commit callbacks explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from haystack import connections

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "fixtures" / "seeds"
DATA = Path(__file__).resolve().parent / "data"

# haystack's own Whoosh tests need their own settings and models: `make test` runs them separately with
# --ds tests.haystack_contract.settings.
CONTRACT_SETTINGS = "tests.haystack_contract.settings"
collect_ignore = [] if os.environ.get("DJANGO_SETTINGS_MODULE") == CONTRACT_SETTINGS else ["haystack_contract"]


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.requires("facets", ...)`: skipped, with the features named, where the search engine
    (HAYSTACK_URL; `make test` runs search, view and API tests also on haystack's `simple`) lacks one of them
    (articles.engine.FEATURES). The tests that run keep their assertions."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from articles import engine

    engine_class = import_string(settings.HAYSTACK_CONNECTIONS["default"]["ENGINE"])
    lacking = engine.lacking_in(engine_class.backend, engine_class.query)
    for item in items:
        needed = [f for marker in item.iter_markers("requires") for f in marker.args]
        if unknown := set(needed) - set(engine.FEATURES):
            raise pytest.UsageError(f"{item.nodeid}: unknown search features {sorted(unknown)}")
        if missing := [f for f in needed if f in lacking]:
            item.add_marker(pytest.mark.skip(reason=f"{engine_class.__name__} lacks {', '.join(missing)}"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """KZARCHIVE_TESTS_CATALOG_ONCE=1 (`make test`'s run on the simple engine): the curated catalog (stances,
    outlets, entity table) is loaded once into the test database, so each test's first ingest finds it current
    (articles/catalog_state.py) instead of loading it again, 2-3 s a test; the rows are the same."""
    if os.environ.get("KZARCHIVE_TESTS_CATALOG_ONCE") == "1":
        from articles.ingest import Curated

        with django_db_blocker.unblock():
            Curated.load().ensure_catalog()


@pytest.fixture(scope="session", autouse=True)
def isolated_index(tmp_path_factory):
    """Point haystack at an index in a temporary folder for the whole session."""
    path = tmp_path_factory.mktemp("whoosh")
    connections.connections_info["default"]["PATH"] = str(path)
    connections.reload("default")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def search_backend(isolated_index):
    """The index, emptied before the test."""
    backend = connections["default"].get_backend()
    backend.clear()
    return backend


@pytest.fixture
def simple_engine(isolated_index):
    """haystack's own `simple` engine in place of the configured one for one test (it reads the database)."""
    saved = connections.connections_info["default"]
    connections.connections_info["default"] = {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}
    connections.reload("default")
    yield connections["default"].get_backend()
    connections.connections_info["default"] = saved
    connections.reload("default")


@pytest.fixture
def seeded(db, search_backend, django_capture_on_commit_callbacks):
    """The five seed articles ingested and indexed; returns {file name: Article}."""
    from articles.ingest import ingest_paths
    from articles.models import Article

    with django_capture_on_commit_callbacks(execute=True):
        report = ingest_paths([SEEDS])
    assert report.summary() == "5 created, 0 updated, 0 unchanged, 0 failed"
    return {a.source_file: a for a in Article.objects.for_listing()}


@pytest.fixture
def seeded_committed(transactional_db, search_backend):
    """Seeds ingested with real commits (for live-server, admin-through-HTTP and multi-process tests)."""
    from articles.models import Article

    call_command("ingest", str(SEEDS), "--quiet")
    return {a.source_file: a for a in Article.objects.for_listing()}


@pytest.fixture
def fresh_archive(tmp_path):
    """A migrated archive of its own, used through subprocesses (tests/fresh_archive.py)."""
    from tests.fresh_archive import FreshArchive

    archive = FreshArchive(tmp_path)
    try:
        archive.manage("migrate", "--noinput")
        yield archive
    finally:
        archive.close()
