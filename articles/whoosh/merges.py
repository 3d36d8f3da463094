"""The index's merge policy: which segments are merged, and when.

Merges are log-structured (similar sizes only). A save (single saves, deletes, ingest batches) merges
nothing: it writes its one small segment and, when a size class is full, asks for a background merge
(`request_background_merge`): a process forked from the one that saved merges outside the write lock
(writing.IndexWriting.merge_step), so neither that save nor the next waits for it. Bulk sessions and
`manage.py merge_index` run the merges above BACKGROUND_MERGE_MAX_DOCS.
"""

from __future__ import annotations

import atexit
import logging
import math
import multiprocessing
import threading

logger = logging.getLogger(__name__)

# Merge policy (log_merge): segments of similar size (the same power of MERGE_FACTOR documents) are
# merged once MERGE_FACTOR of them exist.
MERGE_FACTOR = 4
# Background merges rewrite at most this many documents (a few seconds of CPU in the serving process);
# larger classes wait for `manage.py merge_index` (cron) or a bulk session.
BACKGROUND_MERGE_MAX_DOCS = 1000
# A save merges on its own path only when this many segments hold documents (background merges are not
# keeping up, or never ran): then at most SAVE_MERGE_MAX_DOCS documents, as before background merges. Well
# above the steady state, MERGE_FACTOR - 1 segments per size class (15 at 1,000 articles, 21 at 10,000,
# plus the segments too large for background merges).
SAVE_PATH_MAX_SEGMENTS = 32
SAVE_MERGE_MAX_DOCS = 300


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


def merge_reader(storage, schema, segment):
    """A reader of a segment to merge (writer.add_reader), whose postings are read in one pass over its
    term table (iter_postings below)."""
    from whoosh.reading import SegmentReader

    reader = SegmentReader(storage, schema, segment)
    reader.iter_postings = lambda: iter_postings(reader)
    return reader


def iter_postings(reader):
    """What Whoosh's SegmentReader.iter_postings yields, (field, term, document, weight, value) for every
    live posting in term order, without its per-term costs: Whoosh looks each term up again in the hash
    table it is walking (`postings(field, term)`) and builds the set of deleted documents again for every
    term. Here each term's postings are read from the term info the walk already holds, and the deleted set
    is built once. (Merging one-document segments cost ~37 ms of CPU per document, half of it there.)"""
    terms = reader._terms
    schema = reader.schema
    deleted = frozenset(reader._perdoc.deleted_docs())
    postings_reader = reader._codec.postings_reader
    postfile = terms._postfile
    formats = {}
    for (fieldname, btext), terminfo in terms.items():
        fmt = formats.get(fieldname)
        if fmt is None:
            if fieldname not in schema:
                continue
            fmt = formats[fieldname] = schema[fieldname].format
        matcher = postings_reader(postfile, terminfo, fmt, term=(fieldname, btext))
        while matcher.is_active():
            docnum = matcher.id()
            if docnum not in deleted:
                yield fieldname, btext, docnum, matcher.weight(), matcher.value()
            matcher.next()


def _merge(writer, segments, max_docs: int | None) -> list:
    """Merge what pick_merge chooses into this commit's segment; drop segments with no live document."""
    live = [seg for seg in segments if seg.doc_count() > 0]
    merge = pick_merge(live, max_docs)
    for seg in merge:
        reader = merge_reader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in live if seg not in merge]


def save_merge(writer, segments):
    """Merge policy of commits on the save path: keep every segment with a live document, merge none
    (unless more than SAVE_PATH_MAX_SEGMENTS are left: then log_merge up to SAVE_MERGE_MAX_DOCS), and
    mark the writer `merge_wanted` when a background merge has work to do."""
    live = [seg for seg in segments if seg.doc_count() > 0]
    if len(live) >= SAVE_PATH_MAX_SEGMENTS:
        return _merge(writer, live, SAVE_MERGE_MAX_DOCS)
    writer.merge_wanted = bool(pick_merge(live, BACKGROUND_MERGE_MAX_DOCS))
    return live


def log_merge(writer, segments):
    """Merge policy of bulk commits and merge_index: similar-size segments, whatever their size."""
    return _merge(writer, segments, None)


class BackgroundMerger:
    """At most one background merge per process and index: a thread that forks a child process, which
    runs `backend.merge_step` until no size class up to BACKGROUND_MERGE_MAX_DOCS is full, and forks
    again if asked meanwhile. A process, not the thread itself: Whoosh merging is pure Python, and a
    thread competes with the process's requests for the GIL (measured: +55 ms of CPU on the median save
    -> search at 1,000 articles); the child runs on another core and needs nothing but the index files
    (no database). Failures are logged, never raised (a merge only replaces segments when it commits)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.threads: dict[str, threading.Thread] = {}
        self.again: set[str] = set()

    def request(self, backend) -> None:
        with self.lock:
            thread = self.threads.get(backend.path)
            if thread is not None and thread.is_alive():
                self.again.add(backend.path)
                return
            thread = threading.Thread(target=self._run, args=(backend,), name="kzarchive-merge", daemon=True)
            self.threads[backend.path] = thread
            thread.start()

    def _run(self, backend) -> None:
        while True:
            try:
                if FORK:
                    process = multiprocessing.get_context("fork").Process(
                        target=merge_until_done, args=(backend,), name="kzarchive-merge"
                    )
                    process.start()
                    process.join()
                else:
                    merge_until_done(backend)
            except Exception:  # noqa: BLE001 - a background merge must never take anything down
                logger.warning("background merge of the search index failed; saves go on unmerged", exc_info=True)
            with self.lock:
                if backend.path not in self.again:
                    del self.threads[backend.path]
                    return
                self.again.discard(backend.path)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the merges running now (tests; and at exit, so a command leaves its merges done)."""
        while True:
            with self.lock:
                threads = [thread for thread in self.threads.values() if thread.is_alive()]
            if not threads:
                return
            for thread in threads:
                thread.join(timeout)
            if timeout is not None:
                return


def merge_until_done(backend) -> None:
    """The background merges: merge_step until nothing up to BACKGROUND_MERGE_MAX_DOCS is left (or
    another process is merging this index)."""
    try:
        while backend.merge_step(BACKGROUND_MERGE_MAX_DOCS, wait=False):
            pass
    except Exception:  # noqa: BLE001 - logged; the index is as it was
        logger.warning("background merge of the search index failed; saves go on unmerged", exc_info=True)


FORK = "fork" in multiprocessing.get_all_start_methods()
background = BackgroundMerger()
atexit.register(background.wait, 60)


def request_background_merge(backend) -> None:
    background.request(backend)


def wait_for_background_merges(timeout: float | None = None) -> None:
    background.wait(timeout)
