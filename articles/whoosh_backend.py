"""kzarchive's Whoosh backend: haystack's own, with the schema, parser and writer a search archive needs.

What differs from `haystack.backends.whoosh_backend` (3.4.0) and why:
- Text fields use one analyzer that lower-cases, folds accents (Akordá finds Akorda) and stems English,
  but never stems a `prefix*` or `wild?card` term (the stock parser stems "protest*" into nonsense).
- Facet fields (haystack's `*_exact` companions) are untokenized, so facets return real names, not stems.
- The parser knows `OR`, `NOT`, `-word`, `word~` fuzzy and `title:`/`author:`/`outlet:` fields.
- Writes take an exclusive file lock and wait for Whoosh's own lock instead of failing with LockError,
  so any number of processes can index and delete without losing an update.
- One long-lived searcher is reused until the index changes (any commit, or a rebuild into a new folder,
  noticed on the next use); it holds every file of its generation open, so merges in other processes
  cannot pull files from under it (articles/whoosh_snapshot.py). Narrowing is a filter, not a second search.
- One pass per query: the exact total and the facet counts come from the same collection as the page
  (haystack asks twice, once for the count and once for the page: the second is served from the first),
  and facet values are read once per index segment, not once per query.
- Prefix and fuzzy expansions are shared between the search and the highlighter for the same query.
- Stemming goes through a C-level LRU cache in one generator, the hot loop of indexing and snippets.
- Browsing everything reads each segment's sort order and facet counts, computed once per segment.
- rebuild_index / update_index run as one bulk session: worker processes, one commit, no merges, the
  old index searchable until the new one replaces it; saves meanwhile are queued, not blocked.
- Segments are plain files, not compound ones (which Whoosh copies into each reader's heap).
- Merges are log-structured (similar sizes only) and capped on the save path, so a save never rewrites
  the large segments; `manage.py merge_index` runs the larger merges (pick_merge, save_merge).
"""

from __future__ import annotations

import fcntl
import functools
import heapq
import math
import os
import queue
import shutil
import threading
import time
from collections import Counter
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from itertools import chain, islice

from django.conf import settings
from django.utils.encoding import force_str
from haystack.backends import BaseEngine, log_query
from haystack.backends.whoosh_backend import WhooshSearchBackend, WhooshSearchQuery
from haystack.constants import DEFAULT_ALIAS, DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError, SkipDocument
from haystack.utils import get_model_ct
from whoosh import query as wq
from whoosh.analysis import RegexTokenizer, StemFilter, StopFilter
from whoosh.collectors import FilterCollector, TopCollector, WrappingCollector
from whoosh.fields import BOOLEAN, DATETIME, KEYWORD, NGRAM, NGRAMWORDS, NUMERIC, TEXT, Schema
from whoosh.fields import ID as WHOOSH_ID
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.qparser import PlusMinusPlugin, QueryParser, WildcardPlugin, syntax
from whoosh.searching import Results, ResultsPage
from whoosh.sorting import DateRangeFacet, FieldFacet, MultiFacet
from whoosh.support.charset import accent_map
from whoosh.support.relativedelta import relativedelta
from whoosh.writing import SegmentWriter

from articles import index_state, query_bounds, whoosh_snapshot
from articles.names.expansion import DEFAULT_MODE, NameExpansionPlugin
from articles.names.index_keys import SPELLING_FIELD, spelling_analyzer
from articles.whoosh_snapshot import reading

MLT_TEXT_CHARS = 50_000
COUNT_RECHECK = 30.0  # seconds between comparisons of the index's document count with the database's


def retry_vanished(fn, attempts: int = 40, delay: float = 0.05):
    """Call fn, retrying while a Whoosh file it opens vanishes under it.

    Whoosh opens an index (open_index, Index.refresh) by listing the newest TOC file and then reading it,
    without retrying; a writer committing in another process between the two deletes that file, and the
    reader gets FileNotFoundError. (Index.reader() retries itself; these do not.)
    """
    for attempt in range(attempts):
        try:
            return fn()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)


# How deep this thread is inside write_lock() (the fcntl lock is taken only at depth 0).
_write_lock_depth = threading.local()
WRITE_LOCK_TIMEOUT = 300  # seconds a writer waits for another process's commit


whoosh_snapshot.install()  # segment readers open all their files at once (articles/whoosh_snapshot.py)

# Bulk writes (rebuild_index, update_index, large ingests): articles per batch, and the writer's pool
# memory for a batch of at least BULK_DOCS documents (Whoosh's default is 128 MB).
BULK_BATCH_SIZE = 5000
BULK_DOCS = 200
BULK_LIMITMB = 256
# Worker processes that analyse a bulk write in parallel (Whoosh's MpWriter; 1 = in process). Whoosh
# indexing is pure Python, ~5-8 ms of CPU per article: one core cannot rebuild 100k in ten minutes.
# Set WRITER_PROCS in the connection options to override.
BULK_PROCS = max(1, min(os.cpu_count() or 1, 4))
BULK_JOB_DOCS = 100  # documents per job handed to a worker process

# Merge policy (log_merge): segments of similar size (the same power of MERGE_FACTOR documents) are
# merged once MERGE_FACTOR of them exist. On the save path (single saves, deletes, ingest batches) a
# merge is skipped when it would rewrite more than SAVE_MERGE_MAX_DOCS documents, so no save waits for a
# large merge: those run in bulk sessions (rebuild_index/update_index) and `manage.py merge_index`.
MERGE_FACTOR = 4
SAVE_MERGE_MAX_DOCS = 300

# The matches of a query that matches every live document (browsing, with no filter).
ALL_DOCS = object()

# Top documents a search keeps beyond the page asked for, so haystack's count-then-page pair (and the
# first pages after it) come from one pass.
TOP_PREFETCH = 100


class WildcardSafeStemFilter(StemFilter):
    """Stem words, but leave query terms with wildcards alone (stemming "protest*" breaks the prefix).

    Same tokens as StemFilter, in one generator and with functools' C LRU cache instead of Whoosh's
    pure-Python LFU cache: stemming is most of the analysis time when indexing and making snippets.
    """

    def clear(self):
        stemfn = self.stemfn
        if self.lang:
            from whoosh.lang import stemmer_for_language

            stemfn = stemmer_for_language(self.lang)
        size = self.cachesize
        if isinstance(size, int) and size != 0 and size != 1:
            self._stem = functools.lru_cache(maxsize=None if size < 0 else size)(stemfn)
        else:
            self._stem = stemfn

    def cache_info(self):
        return self._stem.cache_info() if hasattr(self._stem, "cache_info") else None

    def __call__(self, tokens):
        stemfn = self._stem
        ignore = self.ignore
        for t in tokens:
            if not t.stopped:
                text = t.text
                if t.mode == "query" and ("*" in text or "?" in text):
                    yield t
                    continue
                if text not in ignore:
                    t.text = stemfn(text)
            yield t


class FoldStopFilter(StopFilter):
    """LowercaseFilter | CharsetFilter(accent_map) | StopFilter in one generator (same tokens, fewer hops)."""

    def __init__(self, charmap=accent_map, **kwargs):
        super().__init__(**kwargs)
        self.charmap = charmap

    def __eq__(self, other):
        return super().__eq__(other) and self.charmap == other.charmap

    def __call__(self, tokens):
        charmap = self.charmap
        stoplist = self.stops
        minsize = self.min
        maxsize = self.max
        renumber = self.renumber
        pos = None
        for t in tokens:
            t.text = text = t.text.lower().translate(charmap)
            n = len(text)
            if n >= minsize and (maxsize is None or n <= maxsize) and text not in stoplist:
                if renumber and t.positions:
                    if pos is None:
                        pos = t.pos
                    else:
                        pos += 1
                        t.pos = pos
                t.stopped = False
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


class WildcardQueryTokenizer(RegexTokenizer):
    """Words; in queries also words with wildcards (`protest*`, `minist?r`), which the parser needs whole.

    Only in queries: text is split at `*` and `?` like at any punctuation. One tokenizer for both
    indexed "prisoner?" as the term `prisoner?`, so `prisoner` never found that article and a phrase
    ending before a question mark never matched (issue 10).
    """

    def __init__(self):
        super().__init__(r"\w+")
        self.query_tokenizer = RegexTokenizer(r"\w+(?:[\*\?]\w*)*[\*\?]?|[\*\?]\w+")

    def __call__(self, value, **kwargs):
        if kwargs.get("mode") == "query":
            return self.query_tokenizer(value, **kwargs)
        return super().__call__(value, **kwargs)


def archive_analyzer():
    """Tokenize, lower-case, fold accents, drop English stop words, stem (English).

    Same tokens as WildcardQueryTokenizer | LowercaseFilter | CharsetFilter(accent_map) | StopFilter |
    WildcardSafeStemFilter (tests/test_backend.py checks), with the three middle steps fused.
    """
    return WildcardQueryTokenizer() | FoldStopFilter() | WildcardSafeStemFilter()


def is_facet_field(field_class) -> bool:
    return type(field_class).__name__.startswith("Facet")


class ArchiveWhooshBackend(WhooshSearchBackend):
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
            if is_facet_field(field_class):
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
        self._snapshots = whoosh_snapshot.Snapshots()
        self._local = threading.local()
        # Per segment (segment id, kind, field or sort spec): facet values, sort keys, sort order, live
        # facet counts. A segment's files never change, so only its deletions can make an entry stale.
        self._per_segment: dict[tuple, object] = {}
        self._leaves: list = []
        self._session: BulkSession | None = None
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
            whoosh_snapshot.newest_token(self.path)

    # --- writing -----------------------------------------------------------------------------------
    @contextmanager
    def write_lock(self):
        """Serialise writers across processes: wait for the lock rather than raise LockError.

        Re-entrant within a thread, so a caller can hold it across "read the database, then write the
        index" (articles.indexing.entries.reindex_articles): a writer that read older rows can then never commit
        after one that read newer rows.
        """
        if not self.setup_complete:
            self.setup()
        if not self.use_file_storage:
            yield
            return
        if getattr(_write_lock_depth, "depth", 0):
            _write_lock_depth.depth += 1
            try:
                yield
            finally:
                _write_lock_depth.depth -= 1
            return
        self._require_index()
        with open(os.path.join(self.path, ".kzarchive-write.lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _write_lock_depth.depth = 1
            try:
                yield
            finally:
                _write_lock_depth.depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    _write_lock = write_lock

    def _writer(self, procs: int = 1, **kwargs):
        self.index = self.index.refresh()
        # Segments as separate files, not Whoosh's default compound file: a reader of a compound segment
        # copies each part of it (postings, terms, stored fields) from the mmap into a BytesIO, so every
        # serving process held the whole index in its heap (800 MB per worker at 100k articles). Separate
        # files are read through the page cache, which all processes share.
        kwargs.update(timeout=WRITE_LOCK_TIMEOUT, delay=0.05, compound=False)
        if procs > 1:
            return CheckedMpWriter(self.index, procs=procs, batchsize=BULK_JOB_DOCS, multisegment=True, **kwargs)
        return self.index.writer(**kwargs)

    def update(self, index, iterable, commit=True):
        if not self.setup_complete:
            self.setup()
        docs = []
        for obj in iterable:
            try:
                doc = index.full_prepare(obj)
            except SkipDocument:  # haystack's way for an index to leave an object out
                continue
            doc.pop("boost", None)
            docs.append({key: self._from_python(value) for key, value in doc.items()})
        if not docs:
            return
        if self._session is not None:
            self._session.add(docs)
            return
        bulk = len(docs) >= BULK_DOCS
        with self._write_lock():
            writer = self._writer(limitmb=BULK_LIMITMB if bulk else 128)
            try:
                # Into an empty index there is nothing to replace. The lock is held throughout.
                with writer.searcher() if self.index.doc_count_all() else nullcontext() as existing:
                    add_replacing(writer, existing, docs)
            except Exception:
                writer.cancel()
                raise
            writer.commit(mergetype=self.save_merge)

    # --- bulk sessions: one writer for a whole update_index / rebuild_index run -----------------------
    @contextmanager
    def bulk_session(self, catch_up, replace: bool = False):
        """Index everything written inside this block with one writer and one commit.

        Batch by batch, every commit pays for a merge, and at 100k articles the merges cost as much as
        the indexing; one process also leaves the second core idle. Here WRITER_PROCS worker processes
        analyse the articles into a segment each, committed once at the end (nothing is visible
        before, and an error commits nothing). Other writers are not kept waiting for minutes behind
        the lock: reindex requests from other processes queue their ids (defer_to_bulk), and
        `catch_up(ids)` applies them after the commit, still under the lock. With `replace`, the commit
        drops every segment that existed before (a rebuild): searches use the old index until then.
        """
        if not self.setup_complete:
            self.setup()
        if not self.use_file_storage or self._session is not None:
            yield
            return
        if replace and not self.index_exists():  # a rebuild is how a missing or unreadable index comes back
            self.create_index()
        with self.write_lock():
            with self._pending_file_lock():
                with open(self._marker_path, "w") as handle:
                    handle.write(str(os.getpid()))
            try:
                procs = self.writer_procs
                writer = self._writer(procs=procs, limitmb=BULK_LIMITMB // procs)
                self._session = BulkSession(writer, not replace and bool(self.index.doc_count_all()))
                try:
                    yield
                except BaseException:
                    self._session.close()
                    writer.cancel()
                    raise
                self._session.close()
                writer.commit(mergetype=drop_existing if replace else log_merge)
            finally:
                self._session = None
                self._finish_bulk(catch_up)

    @property
    def _marker_path(self) -> str:
        return os.path.join(self.path, ".kzarchive-bulk")

    @property
    def _pending_path(self) -> str:
        return os.path.join(self.path, ".kzarchive-pending")

    @contextmanager
    def _pending_file_lock(self):
        with open(os.path.join(self.path, ".kzarchive-pending.lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _take_pending(self) -> set[str]:
        try:
            with open(self._pending_path) as handle:
                ids = {line.strip() for line in handle if line.strip()}
        except FileNotFoundError:
            return set()
        os.remove(self._pending_path)
        return ids

    def defer_to_bulk(self, ids) -> set[str]:
        """Queue ids for a bulk session running elsewhere; returns the ids the caller must index now.

        Those are all of them when no session runs (or the caller holds the lock already), plus any
        left queued by a session whose process died before catching up.
        """
        ids = {str(i) for i in ids}
        if not self.setup_complete:
            self.setup()
        if not self.use_file_storage or getattr(_write_lock_depth, "depth", 0):
            return ids
        if not os.path.exists(self._marker_path):  # the common case, without taking a lock
            return ids
        with self._pending_file_lock():
            try:
                with open(self._marker_path) as handle:
                    pid = int(handle.read() or 0)
            except (FileNotFoundError, ValueError):
                return ids
            if _process_alive(pid):
                with open(self._pending_path, "a") as handle:
                    handle.writelines(f"{i}\n" for i in sorted(ids))
                return set()
            os.remove(self._marker_path)
            return ids | self._take_pending()

    def _finish_bulk(self, catch_up) -> None:
        """Apply what other writers queued during the session until nothing is left, then end it."""
        while True:
            with self._pending_file_lock():
                ids = self._take_pending()
                if not ids:
                    if os.path.exists(self._marker_path):
                        os.remove(self._marker_path)
                    return
            catch_up(ids)

    def merge_segments(self, everything: bool = False) -> tuple[int, int]:
        """The merges the save path leaves out (SAVE_MERGE_MAX_DOCS), under the write lock, until no
        size class holds MERGE_FACTOR segments; with `everything`, into one segment (Whoosh's optimize).
        Returns the segment counts before and after. Searches go on meanwhile; saves wait for the lock."""
        if not self.setup_complete:
            self.setup()
        with self.write_lock():
            self.index = self.index.refresh()
            before = len(self.index._segments())
            while True:
                segments = [seg for seg in self.index._segments() if seg.doc_count() > 0]
                if everything and len(segments) > 1:
                    self._writer().commit(optimize=True)
                elif not everything and pick_merge(segments):
                    self._writer().commit(mergetype=log_merge)
                else:
                    break
                self.index = self.index.refresh()
                if everything:
                    break
            return before, len(self.index._segments())

    def remove(self, obj_or_string, commit=True):
        if not self.setup_complete:
            self.setup()
        from haystack.utils import get_identifier

        if self._session is not None:
            self._session.writer.delete_by_term(ID, get_identifier(obj_or_string))
            return
        with self._write_lock():
            writer = self._writer()
            writer.delete_by_term(ID, get_identifier(obj_or_string))
            writer.commit(mergetype=self.save_merge)

    def clear(self, models=None, commit=True):
        if not self.setup_complete:
            self.setup()
        if not models and self.use_file_storage:
            os.makedirs(self.path, exist_ok=True)  # clear_index also makes a missing index
            if not self.index_exists():
                self.create_index()
        with self._write_lock():
            if not models:
                self.delete_index()
                return
            writer = self._writer()
            for model in models:
                writer.delete_by_term(DJANGO_CT, f"{model._meta.app_label}.{model._meta.model_name}")
            writer.commit(mergetype=self.save_merge)

    def delete_index(self):
        """Delete the index and make an empty one (clear_index)."""
        if self.use_file_storage:
            shutil.rmtree(self.path, ignore_errors=True)
            self.create_index()
        else:
            super().delete_index()
        self._snapshots.drop()
        self._searcher = None
        self._leaves = []
        self._per_segment = {}
        self._local.last = None

    # --- reading -----------------------------------------------------------------------------------
    def searcher(self):
        """The searcher of the newest generation, kept open across queries and reopened (on this call)
        when a commit or a rebuild changed the index."""
        if not self.setup_complete:
            self.setup()
        self._local.reading = True  # from here on, a failure is the index's, not the query's
        if not self.use_file_storage:
            with self._searcher_lock:
                if self._searcher is None or not self._searcher.up_to_date():
                    self.index = self.index.refresh()
                    self._searcher = self.index.searcher()
                    self._on_new_searcher(self._searcher)
                self._local.leaves = self._leaves
                return self._searcher
        searcher = self._snapshots.current(self.index, self.path, on_new=self._on_new_searcher)
        self._searcher = searcher
        complete, now = self._complete, time.monotonic()
        if complete is None or complete[0] != self._snapshots.token or now - complete[1] > COUNT_RECHECK:
            index_state.check_complete(searcher.doc_count())
            self._complete = (self._snapshots.token, now)
        self._local.leaves = self._leaves
        return searcher

    def _on_new_searcher(self, searcher):
        """Share expansions per segment and forget what was cached for segments that are gone."""
        live = set()
        leaves = []
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            _memoize_expansions(reader, self._local)
            live.add(_segment_key(reader))
            leaves.append(reader)
        self._leaves = leaves
        self._per_segment = {k: v for k, v in self._per_segment.items() if k[0] in live}
        self._local.last = None

    def _use_query(self, key) -> None:
        """Expansions are shared while one query is served (search, page, highlight), then dropped."""
        local = self._local
        if getattr(local, "query_key", None) != key:
            local.query_key = key
            local.expansions = {}

    def _segment_cached(self, reader, kind: str, name, compute):
        """compute(), remembered for this segment until it leaves the index."""
        key = (_segment_key(reader), kind, name)
        value = self._per_segment.get(key)
        if value is None:
            value = self._per_segment[key] = compute()
        return value

    def _segment_facet_values(self, subsearcher, top_searcher, facet: FieldFacet, fieldname: str) -> list:
        """The facet keys of every document of one segment, as Whoosh's own categorizer names them."""

        def compute():
            categorizer = facet.categorizer(top_searcher)
            categorizer.set_searcher(subsearcher, 0)
            to_name = categorizer.key_to_name
            shared = {}  # one object per distinct value (or tuple of values), not one per document
            count = subsearcher.reader().doc_count_all()
            if facet.allow_overlap:
                keys_for = categorizer.keys_for
                values = [tuple(to_name(k) for k in keys_for(None, d)) for d in range(count)]
            else:
                key_for = categorizer.key_for
                values = [to_name(key_for(None, d)) for d in range(count)]
            return [shared.setdefault(v, v) for v in values]

        return self._segment_cached(subsearcher.reader(), "facet", fieldname, compute)

    def _facet_counts(self, searcher, docs, facet_names: list[str]) -> dict:
        """haystack's facet structure, counted from the matched documents (as FieldFacet + Count would);
        docs is a list of document numbers or ALL_DOCS."""
        fields = {}
        leaves = searcher.leaf_searchers()
        for fieldname in facet_names:
            facet = FieldFacet(fieldname, allow_overlap=self.schema[fieldname].__class__ is KEYWORD)
            if docs is ALL_DOCS:
                counts = Counter()
                for sub, _ in leaves:
                    counts.update(self._segment_live_counts(sub, searcher, facet, fieldname))
            else:
                table = []
                for sub, offset in leaves:
                    if offset != len(table):  # leaf offsets are cumulative doc_count_all()
                        raise SearchBackendError("Unexpected segment layout for facet counting")
                    table.extend(self._segment_facet_values(sub, searcher, facet, fieldname))
                values = map(table.__getitem__, docs)
                counts = Counter(chain.from_iterable(values) if facet.allow_overlap else values)
            none_item = counts.pop(None, None)
            lst = sorted(counts.items(), key=lambda itm: (-itm[1], itm[0]))
            if none_item is not None:
                lst = _place_none(lst, none_item)
            fields[fieldname] = lst
        return {"fields": fields, "dates": {}, "queries": {}}

    def _segment_live_counts(self, subsearcher, top_searcher, facet: FieldFacet, fieldname: str) -> Counter:
        """Facet counts over every live document of one segment (browsing everything), recounted only
        when the segment's deletions change."""
        reader = subsearcher.reader()
        key = (_segment_key(reader), "live", fieldname)
        live = reader.doc_count()
        cached = self._per_segment.get(key)
        if cached is None or cached[0] != live:
            values = self._segment_facet_values(subsearcher, top_searcher, facet, fieldname)
            if reader.has_deletions():
                is_deleted = reader.is_deleted
                values = [v for d, v in enumerate(values) if not is_deleted(d)]
            counts = Counter(chain.from_iterable(values) if facet.allow_overlap else values)
            cached = self._per_segment[key] = (live, counts)
        return cached[1]

    def _top_of_everything(self, searcher, spec: tuple, segment_keys: list, limit: int) -> list:
        """The first `limit` (key, document number) pairs of all live documents in sort order, merged
        from each segment's documents sorted once; what nsmallest over every document would give."""
        runs = []
        for (sub, offset), keys in zip(searcher.leaf_searchers(), segment_keys, strict=True):
            reader = sub.reader()
            order = self._segment_cached(
                reader, "order", spec, lambda keys=keys: sorted(zip(keys, range(len(keys)), strict=True))
            )
            runs.append(_live_run(order, offset, reader.is_deleted if reader.has_deletions() else None))
        return list(islice(heapq.merge(*runs), limit))

    def _segment_sort_keys(self, searcher, sortedby) -> tuple[tuple, list[list]] | None:
        """The sort's spec and, per segment in leaf order, Whoosh's own sort key of every document, read
        once per segment.

        Only for keys that depend on nothing but the segment (plain column categorizers); otherwise
        None, and the search sorts with Whoosh's SortingCollector as before.
        """
        from whoosh.sorting import ColumnCategorizer

        catter = sortedby.categorizer(searcher)
        parts = getattr(catter, "catters", [catter])
        if catter.needs_current or any(type(c) is not ColumnCategorizer for c in parts):
            return None
        spec = tuple((c._fieldname, c._reverse) for c in parts)
        per_segment, expected_offset = [], 0
        for sub, offset in searcher.leaf_searchers():
            if offset != expected_offset:
                return None
            reader = sub.reader()

            def compute(sub=sub, reader=reader):
                c = sortedby.categorizer(searcher)
                c.set_searcher(sub, 0)
                key_for = c.key_for
                return [key_for(None, d) for d in range(reader.doc_count_all())]

            keys = self._segment_cached(reader, "sort", spec, compute)
            per_segment.append(keys)
            expected_offset += len(keys)
        return spec, per_segment

    def forget_incomplete(self) -> None:
        """Drop this thread's cached collection if it stopped early (query_bounds): it serves the page
        after its count, but the next search of the same query must try again in full."""
        last = getattr(getattr(self, "_local", None), "last", None)  # none before the first search (setup)
        if last is not None and not last[4].count_exact:
            self._local.last = None

    def _pin_expansions(self, parsed, searcher, bounds):
        """The query with its prefixes, wildcards and fuzzy terms expanded within the bounds (query_bounds)."""
        readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
        limit = query_bounds.max_expansions()
        return query_bounds.pin_expansions(parsed, readers, self.content_field_name, bounds, limit)

    def _collect(self, searcher, parsed, filter_query, sortedby, reverse, limit: int, deadline):
        """One pass: the top `limit` documents in Whoosh's order, and every matching document number
        (those found by the deadline, which records whether it stopped the pass)."""
        allow = searcher._filter_to_comb(filter_query) if filter_query is not None else None
        if allow is not None and not allow:
            # A filter that matches no document (a typo, a year with no articles): nothing matches. This
            # must be decided here: Whoosh's FilterCollector reads an empty allow-set as "no filter"
            # (`if allow`), which made such a filter a no-op under relevance sort (issue 10).
            results = Results(searcher, parsed, [])
            results._total = 0
            return results, []
        sort_keys = self._segment_sort_keys(searcher, sortedby) if sortedby and not reverse else None
        if sort_keys is not None and filter_query is None and type(parsed) is wq.Every and parsed.fieldname is None:
            # Browsing everything (the home page): no document is visited, only each segment's sort order
            # (computed once) and its facet counts (see _segment_live_counts).
            results = Results(searcher, parsed, self._top_of_everything(searcher, *sort_keys, limit))
            results._total = searcher.doc_count()
            return results, ALL_DOCS
        if sort_keys is not None:
            keys = list(chain.from_iterable(sort_keys[1]))
            # What SortingCollector does (every match keyed, sorted by (key, number), cut to `limit`),
            # with the matches listed by the matchers directly and the keys read from the cache.
            docs = list(deadline.until(searcher.docs_for_query(parsed)))
            if allow is not None:
                docs = [d for d in docs if d in allow]
            top = heapq.nsmallest(limit, zip(map(keys.__getitem__, docs), docs, strict=True))
            results = Results(searcher, parsed, top)
            results._total = len(docs)
            return results, docs
        if sortedby:
            top = searcher.collector(limit=limit, sortedby=sortedby, reverse=reverse)
        else:
            # No block skipping or matcher replacement: every match is visited, so the total is exact.
            top = TopCollector(limit, usequality=False, replace=0)
        docs_collector = _DocsCollector(top, deadline)
        collector = docs_collector
        if allow is not None:
            collector = FilterCollector(docs_collector, allow)
        searcher.search_with_collector(parsed, collector)
        results = collector.results()
        results._total = len(docs_collector.docs)
        return results, docs_collector.docs

    def _model_filter(self, searcher, models, limit_to_registered_models) -> tuple:
        """haystack's .models() and HAYSTACK_LIMIT_TO_REGISTERED_MODELS as an exact filter on django_ct;
        none when every document in the index is of an allowed model (the usual case: one index)."""
        if limit_to_registered_models is None:
            limit_to_registered_models = getattr(settings, "HAYSTACK_LIMIT_TO_REGISTERED_MODELS", True)
        if models:
            allowed = sorted(get_model_ct(model) for model in models)
        elif limit_to_registered_models:
            allowed = sorted(self.build_models_list())
        else:
            return ()
        present = {force_str(term) for term in searcher.reader().lexicon(DJANGO_CT)}
        if not allowed or present <= set(allowed):
            return ()
        return ((DJANGO_CT, tuple(allowed)),)

    @log_query
    @reading
    def search(
        self,
        query_string,
        sort_by=None,
        start_offset=0,
        end_offset=None,
        fields="",
        highlight=False,
        facets=None,
        date_facets=None,
        query_facets=None,
        narrow_queries=None,
        spelling_query=None,
        models=None,
        limit_to_registered_models=None,
        result_class=None,
        **kwargs,
    ):
        if not self.setup_complete:
            self.setup()
        query_string = force_str(query_string).strip()
        self._local.bounds = None
        if not query_string:
            return {"results": [], "hits": 0}
        # Parse everything the user wrote before touching the index: a refused query is not damage.
        spelling = kwargs.get("spelling") or DEFAULT_MODE
        parsed = wq.Every() if query_string == "*" else self.parser_for(spelling).parse(query_string)
        if parsed is None or parsed is wq.NullQuery:
            return {"results": [], "hits": 0}
        narrow_parsed = [self.parser.parse(force_str(nq)) for nq in narrow_queries or ()]
        searcher = self.searcher()
        self._use_query((query_string, spelling))

        # Each key keeps its own direction (newest first, then title A-Z), unlike the stock backend.
        sortedby, reverse = None, False
        if sort_by:
            keys = [FieldFacet(s.lstrip("-"), reverse=s.startswith("-")) for s in sort_by]
            sortedby = keys[0] if len(keys) == 1 else MultiFacet(keys)

        facet_names = list(facets or [])
        narrow = tuple(force_str(nq) for nq in narrow_queries or ())
        exact = tuple(kwargs.get("exact_filters") or ()) + self._model_filter(
            searcher, models, limit_to_registered_models
        )
        page_num, page_length = self.calculate_page(start_offset, end_offset)
        needed = page_num * page_length

        # haystack asks for the count (end_offset=1), then the page, of the same query: answer both from
        # one collection while the index is unchanged. The cache holds one query per thread.
        limits = (query_bounds.max_expansions(), query_bounds.time_budget())
        key = (id(searcher), query_string, spelling, tuple(sort_by or ()), narrow, exact, limits)
        last = getattr(self._local, "last", None)
        if last is not None and last[0] == key and last[1] >= needed:
            results, docs, bounds = last[2], last[3], last[4]
        else:
            bounds = query_bounds.Bounds()
            deadline = query_bounds.Deadline(limits[1])
            parsed = self._pin_expansions(parsed, searcher, bounds)
            clauses = list(narrow_parsed)
            clauses += [wq.Or([wq.Term(field, value) for value in values]) for field, values in exact]
            filter_query = wq.And(clauses) if clauses else None
            limit = max(needed, TOP_PREFETCH)
            results, docs = self._collect(searcher, parsed, filter_query, sortedby, reverse, limit, deadline)
            deadline.report(bounds)
            self._local.last = (key, limit, results, docs, bounds)
        self._local.bounds = bounds  # read by ArchiveWhooshSearchQuery (haystack keeps only hits and results)

        raw_page = ResultsPage(results, page_num, page_length)
        if raw_page.pagenum < page_num:
            return {"results": [], "hits": raw_page.total, "facets": {}, "spelling_suggestion": None}
        out = self._process_results(
            raw_page,
            highlight=False,
            query_string=query_string,
            spelling_query=spelling_query,
            result_class=result_class,
        )
        out["hits"] = raw_page.total
        out["facets"] = self._facet_counts(searcher, docs, facet_names) if facet_names else {}
        if date_facets:
            out["facets"] = out["facets"] or {"fields": {}, "dates": {}, "queries": {}}
            out["facets"]["dates"] = self._date_facet_counts(searcher, docs, date_facets)
        if highlight:
            self._highlight(searcher, parsed, out["results"])
        return out

    def _date_facet_counts(self, searcher, docs, date_facets: dict) -> dict:
        """haystack's date_facets ({field: {start_date, end_date, gap_by, gap_amount}}) counted over the
        matched documents as Whoosh's DateRangeFacet groups them; documents outside every range count
        under None, as in haystack's own backend."""

        def as_datetime(value):
            return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)

        if docs is ALL_DOCS:
            docs = list(searcher.docs_for_query(wq.Every()))
        dates = {}
        for field, spec in date_facets.items():
            if not isinstance(spec.get("start_date"), date) or not isinstance(spec.get("end_date"), date):
                raise SearchBackendError(f"date_facets[{field!r}] needs a start_date and an end_date")
            gap = relativedelta(**{f"{spec['gap_by']}s": spec.get("gap_amount", 1)})
            facet = DateRangeFacet(field, as_datetime(spec["start_date"]), as_datetime(spec["end_date"]), gap)
            buckets = [(name, set(query.docs(searcher))) for name, query in facet.querydict.items()]
            counts = Counter(next((name for name, members in buckets if doc in members), None) for doc in docs)
            none_item = counts.pop(None, None)
            lst = sorted(counts.items(), key=lambda itm: (-itm[1], itm[0]))
            if none_item is not None:
                lst = _place_none(lst, none_item)
            dates[field] = lst
        return dates

    def _highlight(self, searcher, parsed, results) -> None:
        """haystack's highlight=True: result.highlighted[content field] holds the text with the query's
        terms in <em>. The document text is not stored, so it is prepared again from the objects."""
        from haystack import connections
        from haystack.backends.whoosh_backend import WhooshHtmlFormatter
        from whoosh.highlight import ContextFragmenter, highlight

        field = self.content_field_name
        terms = set()
        for sub, _ in searcher.leaf_searchers():
            terms.update(text for name, text in parsed.existing_terms(sub.reader(), expand=True) if name == field)
        terms = {force_str(t) for t in terms}
        analyzer = self.schema[field].analyzer
        unified = connections[self.connection_alias].get_unified_index()
        by_model: dict = {}
        for result in results:
            by_model.setdefault(result.model, []).append(result)
        for model, group in by_model.items():
            index = unified.get_index(model)
            objects = index.read_queryset().in_bulk([r.pk for r in group])
            for result in group:
                obj = objects.get(model._meta.pk.to_python(result.pk))
                text = force_str(index.full_prepare(obj).get(field, "")) if obj is not None else ""
                marked = highlight(text, terms, analyzer, ContextFragmenter(), WhooshHtmlFormatter("em"))
                result.highlighted = {field: [marked]}

    @reading
    def more_like_this(self, model_instance, additional_query_string=None, result_class=None, **kwargs):
        """Articles sharing the key terms of this one (its text is re-rendered; the index stores none)."""
        from haystack import connections
        from haystack.utils import get_identifier

        if not self.setup_complete:
            self.setup()
        index = connections[self.connection_alias].get_unified_index().get_index(type(model_instance))
        # Key terms come from the opening: analysing megabytes of one article per page view stalls a worker.
        text = index.full_prepare(model_instance)[self.content_field_name][:MLT_TEXT_CHARS]
        searcher = self.searcher()
        docnum = searcher.document_number(**{ID: get_identifier(model_instance)})
        if docnum is None:
            return {"results": [], "hits": 0}
        limit = kwargs.get("end_offset") or 10
        raw = searcher.more_like(docnum, self.content_field_name, text=text, top=limit, numterms=15)
        return self._process_results(raw, result_class=result_class)

    def parser_for(self, spelling: str):
        """The parser of a spelling mode: `exact` searches words as written (stemmed and accent-folded)."""
        if not self.setup_complete:
            self.setup()
        return self.parser if spelling == "exact" else self.variant_parser

    @reading
    def highlight_plan(self, query_string: str, spelling: str = DEFAULT_MODE):
        """What a query marks in text (articles.highlight.QueryPlan): its phrases, and the index terms of
        the content and title fields its other leaves match, prefixes and fuzzy terms expanded, and the
        spelling keys its names matched."""
        from articles.highlight import plan_for

        query_string = force_str(query_string)
        parsed = self.parser_for(spelling).parse(query_string)
        searcher = self.searcher()
        self._use_query((query_string.strip(), spelling))
        # Per segment, as the search itself expands them, so the search's expansions are reused.
        readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]

        def expand(leaf):
            return {text for reader in readers for _, text in leaf.existing_terms(reader, expand=True)}

        parsed = self._pin_expansions(parsed, searcher, query_bounds.Bounds())
        return plan_for(parsed, (self.content_field_name, "title"), expand)

    @reading
    def create_spelling_suggestion(self, query_string):
        """Suggest per-word corrections against the index's own vocabulary (None when nothing differs).

        Bounded like a search (articles/query_bounds.py): each distinct word once, at most
        SUGGEST_MAX_WORDS words of at most SUGGEST_MAX_WORD_LENGTH letters, the first letter kept (as
        fuzzy terms keep it), and no suggestion at all once the search's time budget is spent: unbounded,
        500 characters of one repeated name took 111 s at 10,000 articles, after the search had ended.
        """
        # haystack hands over the query it built, e.g. "(Indexe)": strip its grouping and operators.
        stripped = (w.strip("()[]{}\"'+-!^~*?") for w in force_str(query_string).split())
        words = [w.lower() for w in stripped if w.isalpha() and w.upper() not in {"AND", "OR", "NOT", "TO"}]
        words = list(dict.fromkeys(words))
        if not words or len(words) > query_bounds.SUGGEST_MAX_WORDS:
            return None
        deadline = time.monotonic() + query_bounds.time_budget()
        corrector = self.searcher().corrector(self.content_field_name)
        corrections = {}
        for word in words:
            if len(word) > query_bounds.SUGGEST_MAX_WORD_LENGTH or len(word) < 3:
                continue  # not a word anyone misspells, or too short to correct with any confidence
            if time.monotonic() > deadline:
                return None
            found = corrector.suggest(word, limit=1, maxdist=1 if len(word) < 6 else 2, prefix=1)
            if found and found[0] != word:
                corrections[word] = found[0]
        if not corrections:
            return None
        return " ".join(corrections.get(w, w) for w in words)


def _place_none(lst: list, none_item: int) -> list:
    """haystack's own placement of the None group in a sorted facet list."""
    none_entry = (None, none_item)
    if not lst or lst[-1][1] >= none_item:
        return [*lst, none_entry]
    for i, value in enumerate(lst):
        if value[1] < none_item:
            return [*lst[:i], none_entry, *lst[i:]]
    return lst


class UnstemmedWildcardPlugin(WildcardPlugin):
    """Keep `word*` a wildcard: the stock plugin turns it into a prefix node whose text the analyzer
    stems ("Kulibay*" became "kulibai*" and found nothing). Whoosh still runs it as a Prefix query."""

    def do_wildcards(self, parser, group):
        i = 0
        while i < len(group):
            node = group[i]
            if isinstance(node, self.WildcardNode):
                if i < len(group) - 1 and group[i + 1].is_text():
                    node.text += group.pop(i + 1).text
                if i > 0 and group[i - 1].is_text():
                    node.text = group.pop(i - 1).text + node.text
                else:
                    i += 1
            else:
                if isinstance(node, syntax.GroupNode):
                    self.do_wildcards(parser, node)
                i += 1
        return group


def add_replacing(writer, existing, docs: list[dict]) -> None:
    """Add documents, deleting any entry of the same id that `existing` (a searcher) finds.

    What Whoosh's update_document does, but with one searcher for the whole batch: update_document
    opens a reader on every segment for each document.
    """
    if existing is not None:
        for doc in docs:
            for docnum in existing.document_numbers(**{ID: doc[ID]}):
                writer.delete_document(docnum)
    for doc in docs:
        writer.add_document(**doc)


def _live_run(order, offset: int, is_deleted):
    """One segment's (key, local number) pairs as (key, global number), deleted documents skipped."""
    if is_deleted is None:
        return ((key, docnum + offset) for key, docnum in order)
    return ((key, docnum + offset) for key, docnum in order if not is_deleted(docnum))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


class BulkSession:
    """The writer of a bulk session, and a searcher on the segments that existed when it began (to
    replace an article already indexed there)."""

    def __init__(self, writer, has_documents: bool):
        self.writer = writer
        self.existing = writer.searcher() if has_documents else None

    def add(self, docs: list[dict]) -> None:
        add_replacing(self.writer, self.existing, docs)

    def close(self) -> None:
        if self.existing is not None:
            self.existing.close()
            self.existing = None


class SchemaSubWriterTask(SubWriterTask):
    """A worker that writes with the parent writer's schema. Whoosh's own worker reopens the index with
    the schema stored in it, which a rebuild after a schema change (a new field) is about to replace."""

    schema = None

    def run(self):
        open_index = self.storage.open_index
        self.storage.open_index = lambda *args, **kwargs: open_index(*args, **{**kwargs, "schema": self.schema})
        super().run()


class CheckedMpWriter(MpWriter):
    """Whoosh's multi-process writer (each worker analyses its share of the documents into a segment of
    its own), made safe to rely on. Whoosh 2.7.4's commit waits one second for each worker's result and
    silently drops a worker that failed, with its documents; its cancel flags the workers in the parent
    process only, so they stay blocked on their queue. Here a failed worker fails the commit (nothing is
    written) and cancel stops the workers."""

    def _new_task(self):
        task = SchemaSubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        task.schema = self.schema
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self):
        """Whoosh's, except that a full job queue whose workers died raises instead of waiting forever."""
        import pickle

        from whoosh.util import random_name

        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as handle:
            for item in self.docbuffer:
                pickle.dump(item, handle, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job) -> None:
        while True:
            try:
                self.jobqueue.put(job, timeout=1)
                return
            except queue.Full:
                if not all(task.is_alive() for task in self.tasks):
                    self._fail()

    def _fail(self):
        failed = [task.exitcode for task in self.tasks if task.exitcode]
        self._stop_tasks()
        SegmentWriter.cancel(self)
        raise SearchBackendError(f"An index worker process failed (exit codes {failed}); nothing was written.")

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        results = self._results()
        for task in self.tasks:
            task.join()
        if len(results) != len(self.tasks) or any(task.exitcode for task in self.tasks):
            self._fail()
        finalsegments += [segment for _, _, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def _results(self) -> list:
        """Each worker's (run, fields, segment), read before joining it (a process with unread queue
        data cannot exit); stops waiting once every worker is gone."""
        results = []
        while len(results) < len(self.tasks):
            try:
                results.append(self.resultqueue.get(timeout=1))
            except queue.Empty:
                if not any(task.is_alive() for task in self.tasks):
                    while len(results) < len(self.tasks):
                        try:
                            results.append(self.resultqueue.get(timeout=1))
                        except queue.Empty:
                            break
                    break
        return results

    def _stop_tasks(self):
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        self.tasks = []

    def cancel(self):
        self._stop_tasks()
        if not self.is_closed:
            SegmentWriter.cancel(self)


def drop_existing(writer, segments):
    """Merge policy of a rebuild: keep none of the segments that existed before this commit."""
    return []


def segment_level(doc_count: int) -> int:
    """A segment's size class: 0 for 1-3 live documents, 1 for 4-15, 2 for 16-63, ... (MERGE_FACTOR 4)."""
    return int(math.log(max(doc_count, 1), MERGE_FACTOR))


def pick_merge(segments, max_docs: int | None = None) -> list:
    """The segments to merge now: the smallest size class holding MERGE_FACTOR segments or more, unless
    merging it would rewrite more than max_docs documents (then none: larger classes only cost more).

    Log-structured (size-tiered by similar size): a document is rewritten once per size class it moves
    through, O(n log n) in all, and a merge never joins a small segment to a much larger one: the old
    tiered policy put every segment under 4,000 documents in one tier, so every fourth single save
    rewrote the archive's large segment (4.6 s at 1,230 articles) while holding the write lock.
    """
    levels: dict[int, list] = {}
    for seg in segments:
        levels.setdefault(segment_level(seg.doc_count()), []).append(seg)
    for level in sorted(levels):
        group = levels[level]
        if len(group) < MERGE_FACTOR:
            continue
        if max_docs is not None and sum(seg.doc_count_all() for seg in group) > max_docs:
            return []
        return group
    return []


def _merge(writer, segments, max_docs: int | None) -> list:
    """Merge what pick_merge chooses into this commit's segment; drop segments with no live document."""
    from whoosh.reading import SegmentReader

    live = [seg for seg in segments if seg.doc_count() > 0]
    merge = pick_merge(live, max_docs)
    for seg in merge:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in live if seg not in merge]


def save_merge(writer, segments):
    """Merge policy of commits on the save path: log_merge, but never more than SAVE_MERGE_MAX_DOCS."""
    return _merge(writer, segments, SAVE_MERGE_MAX_DOCS)


def log_merge(writer, segments):
    """Merge policy of bulk commits and merge_index: similar-size segments, whatever their size."""
    return _merge(writer, segments, None)


class _DocsCollector(WrappingCollector):
    """Passes every match to the wrapped collector and keeps its global document number, until the
    search's deadline (query_bounds.Deadline) passes."""

    def __init__(self, child, deadline):
        super().__init__(child)
        self.docs: list[int] = []
        self.deadline = deadline

    def matches(self):
        return self.deadline.until(self.child.matches())

    def collect(self, sub_docnum):
        self.docs.append(sub_docnum + self.child.offset)
        return self.child.collect(sub_docnum)


def _segment_key(reader) -> str:
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else f"reader-{id(reader)}"


def _memoize_expansions(reader, local) -> None:
    """Prefix and fuzzy expansions of one segment, shared while the same query is served.

    A segment never changes once written, so an expansion computed for the search is exact for the
    highlighter too. The memo lives in `local.expansions`, which `_use_query` clears per new query.

    Fuzzy terms (`terms_within`) are expanded against every segment of the searcher at once: Whoosh
    looks them up in each segment's own spelling word list, so `goverment~` matched "govern" only in
    segments whose text happened to hold that word, and the hits depended on how the index was split
    into segments (2,141 vs 2,899 at 10k). The union makes a fuzzy query match what it matches on a
    one-segment index; terms a segment lacks simply have no postings there.
    """
    if getattr(reader, "_kz_memoized", False):
        return
    originals = {method: getattr(reader, method) for method in ("terms_within", "expand_prefix")}
    reader._kz_originals = originals

    def memo(method, args, kwargs):
        store = getattr(local, "expansions", None)
        leaves = getattr(local, "leaves", None)
        everywhere = method == "terms_within" and leaves is not None and reader in leaves
        if store is None:
            if everywhere:
                return iter(sorted({t for r in leaves for t in r._kz_originals[method](*args, **kwargs)}))
            return originals[method](*args, **kwargs)
        key = (None if everywhere else id(reader), method, args, tuple(sorted(kwargs.items())))
        found = store.get(key)
        if found is None:
            if everywhere:
                found = sorted({t for r in leaves for t in r._kz_originals[method](*args, **kwargs)})
            else:
                found = list(originals[method](*args, **kwargs))
            store[key] = found
        return iter(found)

    reader.terms_within = lambda *args, **kwargs: memo("terms_within", args, kwargs)
    reader.expand_prefix = lambda *args, **kwargs: memo("expand_prefix", args, kwargs)
    reader._kz_memoized = True


def make_parser(content_field: str, schema, expand_names: bool = False) -> QueryParser:
    """All words must match by default; OR, NOT, -word, "phrase", word*, word~, field:value, (groups).

    With `expand_names`, words and phrases also match their other spellings and aliases
    (articles/names/expansion.py)."""
    parser = QueryParser(content_field, schema=schema)
    parser.remove_plugin_class(WildcardPlugin)
    parser.add_plugin(UnstemmedWildcardPlugin())
    parser.add_plugins([query_bounds.BoundedFuzzyTermPlugin(), PlusMinusPlugin()])
    if expand_names:
        parser.add_plugin(NameExpansionPlugin())
    return parser


class ArchiveWhooshSearchQuery(WhooshSearchQuery):
    """Adds filters on exact fields that reach Whoosh as Term objects, never as query text, so any
    value (quotes, dashes, colons) filters exactly what it says."""

    def __init__(self, using=DEFAULT_ALIAS):
        super().__init__(using=using)
        self.exact_filters: list[tuple[str, tuple[str, ...]]] = []
        self.spelling = DEFAULT_MODE

    def set_spelling(self, mode: str) -> None:
        """`variants` (default): names match their other spellings and aliases; `exact`: as written."""
        self.spelling = mode

    def add_exact_filter(self, field: str, values) -> None:
        """Match documents whose `field` holds any of `values` (several calls must all hold)."""
        self.exact_filters.append((field, tuple(values)))

    def build_params(self, spelling_query=None):
        params = super().build_params(spelling_query=spelling_query)
        if self.exact_filters:
            params["exact_filters"] = tuple(self.exact_filters)
        params["spelling"] = self.spelling
        return params

    def run(self, spelling_query=None, **kwargs):
        super().run(spelling_query=spelling_query, **kwargs)
        self.bounds = getattr(getattr(self.backend, "_local", None), "bounds", None)

    def run_raw(self, **kwargs):
        super().run_raw(**kwargs)
        self.bounds = getattr(getattr(self.backend, "_local", None), "bounds", None)

    def _clone(self, klass=None, using=None):
        clone = super()._clone(klass=klass, using=using)
        clone.exact_filters = list(getattr(self, "exact_filters", []))
        clone.spelling = getattr(self, "spelling", DEFAULT_MODE)
        return clone


class ArchiveWhooshEngine(BaseEngine):
    backend = ArchiveWhooshBackend
    query = ArchiveWhooshSearchQuery
