"""kzarchive's Whoosh backend: haystack's own, with the schema, parser and writer a search archive needs.

What differs from `haystack.backends.whoosh_backend` (3.4.0) and why, and where it lives:
- Text fields use one analyzer that lower-cases, folds accents (Akordá finds Akorda) and stems English,
  but never stems a `prefix*` or `wild?card` term (analysis.py).
- Facet fields (haystack's `*_exact` companions) are untokenized, so facets return real names, not stems
  (build_schema, here).
- The parser knows `OR`, `NOT`, `-word`, `word~` fuzzy and `title:`/`author:`/`outlet:` fields (parsing.py).
- Writes wait for a cross-process lock instead of failing with LockError; rebuild_index / update_index
  run as one bulk session (writing.py, multiproc.py); merges are log-structured and capped on the save
  path (merges.py).
- One long-lived searcher per index generation, holding all of its files open (snapshot.py); one pass
  per query for page, total and facets, with caches per segment (reading.py, facets.py).
- search, more_like_this, highlight and spelling suggestions as haystack asks for them (searching.py).
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading

from haystack.backends import BaseEngine
from haystack.backends.whoosh_backend import WhooshSearchBackend, WhooshSearchQuery
from haystack.constants import DEFAULT_ALIAS, DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError
from whoosh.fields import BOOLEAN, DATETIME, KEYWORD, NGRAM, NGRAMWORDS, NUMERIC, TEXT, Schema
from whoosh.fields import ID as WHOOSH_ID

from articles.names.expansion import DEFAULT_MODE
from articles.names.index_keys import SPELLING_FIELD, spelling_analyzer
from articles.whoosh import snapshot
from articles.whoosh.analysis import archive_analyzer
from articles.whoosh.facets import FacetCounting
from articles.whoosh.merges import save_merge
from articles.whoosh.parsing import make_parser
from articles.whoosh.query_cache import QueryCache
from articles.whoosh.reading import IndexReading
from articles.whoosh.refining import Refining
from articles.whoosh.searching import Searching
from articles.whoosh.snapshot import retry_vanished
from articles.whoosh.writing import BULK_BATCH_SIZE, BULK_PROCS, BulkSession, IndexWriting

snapshot.install()  # segment readers open all their files at once (articles/whoosh/snapshot.py)


class ArchiveWhooshBackend(IndexWriting, IndexReading, FacetCounting, Refining, Searching, WhooshSearchBackend):
    """haystack's Whoosh backend with this package's parts: writing.py, reading.py, facets.py, searching.py.
    Here: the schema (build_schema) and the index's lifecycle (setup, create, exists, delete)."""

    def __init__(self, connection_alias, **connection_options):
        super().__init__(connection_alias, **connection_options)
        # rebuild_index/update_index read this many articles per backend.update (one commit each):
        # fewer, larger segments to merge than haystack's 1,000, at a few tens of MB per batch.
        if "BATCH_SIZE" not in connection_options:
            self.batch_size = BULK_BATCH_SIZE
        self.writer_procs = int(connection_options.get("WRITER_PROCS", BULK_PROCS))
        # The merge policy of commits on the save path (a benchmark swaps in another to compare).
        self.save_merge = save_merge

    def build_schema(self, fields):
        analyzer = archive_analyzer()
        schema_fields = {
            ID: WHOOSH_ID(stored=True, unique=True),
            DJANGO_CT: WHOOSH_ID(stored=True),
            DJANGO_ID: WHOOSH_ID(stored=True),
        }
        content_field_name = ""
        for _, field_class in fields.items():
            name = field_class.index_fieldname
            if type(field_class).__name__.startswith("Facet"):
                # Exact values for facets and filters: names come back as they were written.
                if field_class.is_multivalued:
                    schema_fields[name] = KEYWORD(stored=True, commas=True, lowercase=False)
                else:
                    schema_fields[name] = WHOOSH_ID(stored=True, sortable=True)
            elif field_class.field_type in ("date", "datetime"):
                schema_fields[name] = DATETIME(stored=field_class.stored, sortable=True)
            elif field_class.field_type == "integer":
                schema_fields[name] = NUMERIC(stored=field_class.stored, numtype=int, sortable=True)
            elif name == SPELLING_FIELD:
                # Every word's spelling keys (articles/names/index_keys.py), for variant and alias matches.
                schema_fields[name] = TEXT(analyzer=spelling_analyzer(), stored=False)
            elif field_class.field_type == "float":
                schema_fields[name] = NUMERIC(stored=field_class.stored, numtype=float)
            elif field_class.field_type == "boolean":
                schema_fields[name] = BOOLEAN(stored=field_class.stored)
            elif field_class.field_type == "ngram":
                schema_fields[name] = NGRAM(minsize=3, maxsize=15, stored=field_class.stored)
            elif field_class.field_type == "edge_ngram":
                # Autocomplete: each word's leading 2..15 characters, as haystack's own backend indexes them.
                schema_fields[name] = NGRAMWORDS(minsize=2, maxsize=15, at="start", stored=field_class.stored)
            elif field_class.document:
                content_field_name = name
                # Not stored: the text is in the database (one copy, not two); see the README.
                schema_fields[name] = TEXT(analyzer=field_class.analyzer or analyzer, stored=False, spelling=True)
            else:
                schema_fields[name] = TEXT(
                    analyzer=field_class.analyzer or analyzer, stored=field_class.stored, field_boost=field_class.boost
                )
        if not content_field_name:
            raise SearchBackendError("No document field in the search indexes.")
        return content_field_name, Schema(**schema_fields)

    def setup(self):
        """Open the index if there is one. Never create one: an index that is missing must be an error
        (503), not a new empty archive that the next save fills with one article (issue 11). Only
        `create_index` makes one: clear_index, rebuild_index, and migrate on an empty archive."""
        if self.use_file_storage:
            from haystack import connections
            from whoosh.filedb.filestore import FileStorage
            from whoosh.index import FileIndex

            self.storage = FileStorage(self.path)
            fields = connections[self.connection_alias].get_unified_index().all_searchfields()
            self.content_field_name, self.schema = self.build_schema(fields)
            # FileIndex without its constructor, which reads the TOC: the index need not exist yet.
            self.index = FileIndex.__new__(FileIndex)
            self.index.storage, self.index._schema, self.index.indexname = self.storage, self.schema, "MAIN"
            self.setup_complete = True
        else:
            retry_vanished(lambda: WhooshSearchBackend.setup(self))
        self.parser = make_parser(self.content_field_name, self.schema)
        # spelling=variants (the default): words and phrases also match other spellings and aliases.
        self.variant_parser = make_parser(self.content_field_name, self.schema, expand_names=True)
        self._searcher = None
        self._searcher_lock = threading.Lock()
        self._snapshots = snapshot.Snapshots()
        self._local = threading.local()  # .reading: whether a failure is the index's (snapshot.reading)
        self._generations = itertools.count(1)  # numbers each new searcher (query_cache keys)
        self._query_cache = QueryCache()
        # Per generation (generation, kind, ...): sort ranks, filter sets, facet codes (refining.py, facets.py).
        self._per_generation: dict[tuple, object] = {}
        # Per segment (segment id, kind, field or sort spec): facet values, sort keys, sort order, live
        # facet counts. A segment's files never change, so only its deletions can make an entry stale.
        self._per_segment: dict[tuple, object] = {}
        # Facet value -> code, per field, for the per-segment codes above (facets.py); only ever grows, so a
        # segment's codes stay valid in every later generation.
        self._facet_name_codes: dict[str, dict] = {}
        self._session: BulkSession | None = None
        # Segment id -> (its open term index, its compound storage or None), for saves to find the entries
        # they replace (writing.delete_existing).
        self._terms_readers: dict[str, tuple] = {}
        self._complete: tuple | None = None  # (generation token, when) the index was last found complete

    def create_index(self):
        """Make an empty index (the folder too); the one place an index is created."""
        if not self.setup_complete:
            self.setup()
        if self.use_file_storage:
            os.makedirs(self.path, exist_ok=True)
        self.index = self.storage.create_index(self.schema)
        self._snapshots.drop()
        self._searcher = None
        return self.index

    def index_exists(self) -> bool:
        """Whether the folder holds a readable table of contents (segments are not read)."""
        if not self.setup_complete:
            self.setup()
        if not self.use_file_storage:
            return True
        try:
            retry_vanished(self.index._read_toc)
        except Exception:  # noqa: BLE001 - missing, or a TOC that cannot be read: either way no index
            return False
        return True

    def _require_index(self) -> None:
        """Writes go into an existing index only (see setup)."""
        if self.use_file_storage:
            snapshot.newest_token(self.path)

    def delete_index(self):
        """Delete the index and make an empty one (clear_index)."""
        if self.use_file_storage:
            shutil.rmtree(self.path, ignore_errors=True)
            self.create_index()
        else:
            super().delete_index()
        self._snapshots.drop()
        self._searcher = None
        self._per_segment = {}
        self._query_cache.clear()
        self._per_generation = {}


class ArchiveWhooshSearchQuery(WhooshSearchQuery):
    """Adds filters on exact fields that reach Whoosh as Term objects, never as query text, so any
    value (quotes, dashes, colons) filters exactly what it says."""

    def __init__(self, using=DEFAULT_ALIAS):
        super().__init__(using=using)
        self.exact_filters: list[tuple[str, tuple[str, ...]]] = []
        self.spelling = DEFAULT_MODE
        self.highlight_plan = False
        self.first_page_only = False
        self.bounds = self.plan = None  # of the last run
        # Of the last run: None, or {"count_known": bool} when only the first page was ranked (no facets).
        self.first_page = None

    def set_spelling(self, mode: str) -> None:
        """`variants` (default): names match their other spellings and aliases; `exact`: as written."""
        self.spelling = mode

    def add_exact_filter(self, field: str, values) -> None:
        """Match documents whose `field` holds any of `values` (several calls must all hold)."""
        self.exact_filters.append((field, tuple(values)))

    def want_highlight_plan(self) -> None:
        """Also return what the query marks in text (articles.highlight.QueryPlan) as `self.plan`, from the
        same run, its prefixes and fuzzy terms expanded as the search expanded them."""
        self.highlight_plan = True

    def want_first_page_only(self) -> None:
        """For a query not yet in the query cache, rank the first page only (by relevance, with block
        skipping): the count is then the matches seen, facets are not counted (articles/progressive.py)."""
        self.first_page_only = True

    def build_params(self, spelling_query=None):
        params = super().build_params(spelling_query=spelling_query)
        if self.exact_filters:
            params["exact_filters"] = tuple(self.exact_filters)
        params["spelling"] = self.spelling
        if self.highlight_plan:
            params["highlight_plan"] = True
        if self.first_page_only:
            params["first_page_only"] = True
        return params

    def run(self, spelling_query=None, **kwargs):
        """haystack's run, keeping what the backend says beyond results, count and facets: `bounds` (what
        query_bounds changed, and whether the count is exact) and the highlight `plan`."""
        search_kwargs = self.build_params(spelling_query=spelling_query)
        search_kwargs.update(kwargs)
        results = self.backend.search(self.build_query(), **search_kwargs)
        self._results = results.get("results", [])
        self._hit_count = results.get("hits", 0)
        self._facet_counts = self.post_process_facets(results)
        self._spelling_suggestion = results.get("spelling_suggestion", None)
        self.bounds, self.plan = results.get("bounds"), results.get("plan")
        self.first_page = results.get("first_page_only")

    def _clone(self, klass=None, using=None):
        clone = super()._clone(klass=klass, using=using)
        clone.exact_filters = list(getattr(self, "exact_filters", []))
        clone.spelling = getattr(self, "spelling", DEFAULT_MODE)
        clone.highlight_plan = getattr(self, "highlight_plan", False)
        clone.first_page_only = getattr(self, "first_page_only", False)
        return clone


class ArchiveWhooshEngine(BaseEngine):
    backend = ArchiveWhooshBackend
    query = ArchiveWhooshSearchQuery
