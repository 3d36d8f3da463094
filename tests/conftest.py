"""Shared fixtures: a throwaway Whoosh index per test session (per xdist worker) and the seeded archive.

Index updates run on transaction commit; pytest-django wraps each test in a transaction that never
commits, so fixtures that write articles run the captured on-commit callbacks explicitly.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
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
    (articles.engine.FEATURES). The tests that run keep their assertions. And the `database` marker (below)."""
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
        if depends_on_database(item) and not item.get_closest_marker("database"):
            item.add_marker(pytest.mark.database)  # see "which tests run again on PostgreSQL" below


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The curated catalog (stances, outlets, entity table) is loaded once into the test database, so each
    test's first ingest finds it current (articles/catalog_state.py) instead of loading it again: 1-1.5 s of
    every one of the ~290 tests that seed the archive on SQLite, 2-3 s on PostgreSQL. The rows are the ones
    ingest would make. Tests that need an archive without them use `empty_archive`;
    KZARCHIVE_TESTS_CATALOG_ONCE=0 turns this off. On PostgreSQL, `_sequences_ahead_of_rows` (below) keeps
    a restore's sequence reset from handing out the catalog's ids again."""
    from django.apps import apps

    # haystack's own tests (tests/haystack_contract) run with settings without the archive's app.
    once = os.environ.get("KZARCHIVE_TESTS_CATALOG_ONCE", "1") == "1"
    if once and apps.is_installed("articles"):
        from articles.ingest import Curated

        with django_db_blocker.unblock():
            Curated.load().ensure_catalog()


@pytest.fixture(autouse=True)
def _sequences_ahead_of_rows(request):
    """PostgreSQL: before each database test, move any id sequence that is behind its table's rows past them.

    Sequences are not transactional: a restore (articles/backup._reset_sequences) inside a test that is rolled
    back leaves them where the restore put them, e.g. at 1 after restoring an empty backup, below the rows
    committed before the test (the catalog django_db_setup loads). The next insert would then reuse an id. Only
    ever moves a sequence forward, to its table's largest id, as the restore itself would; SQLite has no
    sequences to go stale (it takes the largest id + 1)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    if request.node.get_closest_marker("django_db") is None and "_django_db_helper" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")  # inside the test's transaction, before the test writes
    with connection.cursor() as cursor:
        cursor.execute(_sequence_fix_sql(connection))


_SEQUENCE_FIX: dict[str, str] = {}


def _sequence_fix_sql(connection) -> str:
    """One statement per serial column: setval to the column's max when the sequence is not past it."""
    name = connection.settings_dict["NAME"]
    if name not in _SEQUENCE_FIX:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            sequences = [seq for table in tables for seq in connection.introspection.get_sequences(cursor, table)]
        _SEQUENCE_FIX[name] = (
            ";\n".join(
                f"SELECT setval('{quote(seq['name'])}', m) FROM (SELECT max({quote(seq['column'])}) AS m "
                f"FROM {quote(seq['table'])}) AS t WHERE m >= (SELECT last_value FROM {quote(seq['name'])})"
                for seq in sequences
            )
            or "SELECT 1"
        )
    return _SEQUENCE_FIX[name]


@pytest.fixture
def empty_archive(db):
    """No rows at all, the curated catalog included (see django_db_setup); undone with the test's transaction."""
    from articles.models import CatalogLoad, Source, StanceCategory
    from articles.names.models import Entity

    for model in (Entity, StanceCategory, Source, CatalogLoad):
        model.objects.all().delete()


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
    """The index, emptied before the test (after any background merge an earlier test's saves started)."""
    from articles.whoosh.merges import wait_for_background_merges

    wait_for_background_merges()
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
def seeded(db, search_backend, django_capture_on_commit_callbacks, seed_index_copies):
    """The five seed articles ingested and indexed; returns {file name: Article}.

    The ingest is real (rows, outbox, mentions); only the index write of its five entries is, from the
    second seeded test of a worker on, a copy of the index files the first one wrote (SeedIndexCopies)."""
    from articles.ingest import ingest_paths
    from articles.models import Article

    _restart_id_sequences()
    with seed_index_copies.serving(search_backend), django_capture_on_commit_callbacks(execute=True):
        report = ingest_paths([SEEDS])
    assert report.summary() == "5 created, 0 updated, 0 unchanged, 0 failed"
    return {a.source_file: a for a in Article.objects.for_listing()}


def _restart_id_sequences() -> None:
    """Every id sequence restarts after its table's largest id, as a restore resets them, so each seeded test
    gets the same ids (and the same index entries, which SeedIndexCopies can then copy) whatever ran before
    it: PostgreSQL's sequences do not roll back with a test, nor are SQLite's AUTOINCREMENT counters reset
    by a transactional test's flush. The ids of rows that exist are never handed out again."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            key = connection.settings_dict["NAME"]
            if key not in _SEQUENCE_RESTART:
                tables = connection.introspection.table_names(cursor)
                sequences = [s for table in tables for s in connection.introspection.get_sequences(cursor, table)]
                _SEQUENCE_RESTART[key] = ";\n".join(
                    f"SELECT setval('{quote(seq['name'])}', coalesce(max({quote(seq['column'])}), 1), "
                    f"max({quote(seq['column'])}) IS NOT NULL) FROM {quote(seq['table'])}"
                    for seq in sequences
                )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_sequence ORDER BY name")
            key = (connection.settings_dict["NAME"], *(name for (name,) in cursor.fetchall()))
            if key not in _SEQUENCE_RESTART:
                _SEQUENCE_RESTART[key] = [
                    f"UPDATE sqlite_sequence SET seq = coalesce((SELECT max({quote(pk)}) FROM {quote(table)}), 0) "
                    f"WHERE name = '{table}'"
                    for table in key[1:]
                    if (pk := connection.introspection.get_primary_key_column(cursor, table))
                ]
        else:
            return
        statements = [_SEQUENCE_RESTART[key]] if connection.vendor == "postgresql" else _SEQUENCE_RESTART[key]
        for statement in filter(None, statements):
            cursor.execute(statement)


_SEQUENCE_RESTART: dict = {}


class SeedIndexCopies:
    """Writing the seed articles' five entries (5,805 terms) in ~500 tests: 12% of the SQLite run's CPU and 6%
    of PostgreSQL's, measured with this off and on (the profile's ~80% of `seeded` overstated it). The first
    seeded test of a worker writes them as always and keeps a copy of the index folder it leaves; a later
    write of entries equal to the ones written then (every prepared value: ids, text, facets, dates, content
    hash), into the same folder with the same schema and files (the empty index search_backend leaves),
    puts that copy in place instead, under the write lock. Anything else (another fixture wrote first, an
    edited article, other ids) is written as always; KZARCHIVE_TESTS_SEED_COPY=0 writes every time.
    Checked when it was written: every term's postings (documents, weights, positions), stored field and
    column of the copy equal a fresh write's."""

    LOCKS = (".kzarchive-write.lock", "MAIN_WRITELOCK")  # held open by lockers: never replaced or removed

    def __init__(self, folder: Path):
        self.folder = folder
        self.kept: tuple | None = None  # (prepared entries, (folder, schema, its files) before, copy after)
        self.copied = 0
        self.enabled = os.environ.get("KZARCHIVE_TESTS_SEED_COPY", "1") == "1"  # 0: write every time

    @contextmanager
    def serving(self, backend):
        original = getattr(backend, "update", None)
        if not getattr(backend, "use_file_storage", False) or original is None or not self.enabled:
            yield  # haystack's simple engine, an index in memory: nothing to copy
            return

        def update(index, iterable, commit=True):
            objs = list(iterable)
            entries = [index.full_prepare(obj) for obj in objs]
            before = (backend.path, backend.schema, self._listing(backend.path))
            if self.kept is not None and self.kept[:2] == (entries, before):
                with backend.write_lock():
                    self._put_in_place(backend)
                self.copied += 1
                return None
            empty = self.kept is None and backend.index.refresh().doc_count_all() == 0
            result = original(index, objs, commit=commit)
            if empty:
                copy = self.folder / "seed-index"
                shutil.copytree(backend.path, copy, ignore=shutil.ignore_patterns(*self.LOCKS))
                self.kept = (entries, before, copy)
            return result

        shadowed = vars(backend).get("update")  # a test's own stand-in, put back afterwards
        backend.update = update
        try:
            yield
        finally:
            if shadowed is None:
                del backend.update
            else:
                backend.update = shadowed

    @classmethod
    def _listing(cls, path) -> list[str]:
        return sorted(name for name in os.listdir(path) if name not in cls.LOCKS)

    def _put_in_place(self, backend) -> None:
        from articles.whoosh.writing import _close_terms

        copy = self.kept[2]
        names = set(os.listdir(copy))
        for name in self._listing(backend.path):
            if name not in names:
                os.remove(os.path.join(backend.path, name))
        for name in sorted(names, key=lambda n: n.endswith(".toc")):  # the TOC last, as a commit writes it
            shutil.copyfile(copy / name, os.path.join(backend.path, name))
        # A real write's segment has a new id; this copy's segment id was seen by an earlier test: forget
        # any term index still open from then, so the next save opens this folder's files as it would.
        for segment_id in [s for s in backend._terms_readers if any(n.startswith(f"MAIN_{s}") for n in names)]:
            _close_terms(*backend._terms_readers.pop(segment_id))


@pytest.fixture(scope="session")
def seed_index_copies(tmp_path_factory):
    """One SeedIndexCopies per session (per xdist worker)."""
    return SeedIndexCopies(tmp_path_factory.mktemp("seed-index"))


@pytest.fixture
def seeded_committed(transactional_db, search_backend, seed_index_copies):
    """Seeds ingested with real commits (for live-server, admin-through-HTTP and multi-process tests)."""
    from articles.models import Article

    _restart_id_sequences()
    with seed_index_copies.serving(search_backend):
        call_command("ingest", str(SEEDS), "--quiet")
    return {a.source_file: a for a in Article.objects.for_listing()}


@pytest.fixture(scope="session")
def migrated_archive(tmp_path_factory):
    """An archive migrated once per session (per xdist worker), never used itself: fresh_archive copies it."""
    from tests.fresh_archive import FreshArchive

    archive = FreshArchive(tmp_path_factory.mktemp("migrated"))
    try:
        archive.manage("migrate", "--noinput")
        yield archive
    finally:
        archive.close()


@pytest.fixture
def fresh_archive(tmp_path, migrated_archive):
    """A migrated archive of its own, used through subprocesses (tests/fresh_archive.py): a copy of
    `migrated_archive`, as `migrate` would make it."""
    from tests.fresh_archive import FreshArchive

    archive = FreshArchive(tmp_path, template=migrated_archive)
    try:
        yield archive
    finally:
        archive.close()


# --- which tests run again on PostgreSQL -------------------------------------------------------------
# `make test` runs the whole suite on SQLite, then on PostgreSQL (tests/run_postgres.py) again only the tests
# marked `database`: those whose outcome can depend on the database. A test is marked here when it uses the
# database (the `django_db` marker, or the `db`, `transactional_db` or `fresh_archive` fixture, directly or
# through another fixture such as `seeded`) and its module is not one of DATABASE_INDEPENDENT below.
# So these run on SQLite only: tests that never touch a database (extraction, dates, decoding, analysis of
# text, progress lines, name keys), and those that start archives of their own on SQLite whatever
# DATABASE_URL says (test_index_faults, test_scale_smoke, test_name_speed_smoke, test_security's
# production settings): a second run of them on PostgreSQL would run the very same thing again.
# A test in a listed module that does depend on the database is marked `@pytest.mark.database` by hand.
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "fresh_archive"})

# Modules whose tests use the database only to hold the seed articles (ingested on PostgreSQL by
# test_ingest, test_hostile, test_views...) while they test what something else makes of them; their other
# database reads are reads by primary key (`in_bulk`, `pk__in`, `get`), which both databases answer alike.
# Not listed, so run on PostgreSQL too: views with the database's own counts (test_views, test_times,
# test_unknown_values), trends (GROUP BY), exports, entity pages and mentions, ingest, the admin and
# accounts, backup/restore, rebuilds and bulk sessions (test_backend), the outbox, checks and concurrency.
DATABASE_INDEPENDENT = {
    "test_analysis_spans": "where a name or word stands in a text",
    "test_analysis_timeline": "dates read from a text",
    "test_citations": "RIS, BibLaTeX and CSL made from an article record",
    "test_filters": "search filters and facets: Whoosh",
    "test_fuzz_queries": "random queries through the Whoosh parser",
    "test_haystack_contract": "the engine's haystack contract: Whoosh",
    "test_highlight": "highlighting and snippets",
    "test_index_snapshot": "Whoosh searchers across index generations",
    "test_index_words": "the terms a text is indexed as",
    "test_merge_policy": "Whoosh segment merges",
    "test_query_bounds": "the query parser's limits",
    "test_request_limits": "request size limits in middleware",
    "test_scale_smoke": "the benchmark's search session: each path finds what raw Whoosh finds",
    "test_search": "search results, sorting, facets: Whoosh",
    "test_search_pages": "links between search result pages",
}


def depends_on_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("database") or "simple_engine" in names:  # haystack's simple engine searches
        return True  # with the ORM (icontains), in any module
    uses_database = bool(item.get_closest_marker("django_db")) or bool(DATABASE_FIXTURES & names)
    module = getattr(item, "module", None)
    return uses_database and (module is None or module.__name__.rpartition(".")[2] not in DATABASE_INDEPENDENT)
