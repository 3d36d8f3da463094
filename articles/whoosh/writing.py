"""Writing the index: one writer at a time across processes, saves, bulk sessions.

- Writes take an exclusive file lock and wait for Whoosh's own lock instead of failing with LockError,
  so any number of processes can index and delete without losing an update.
- rebuild_index / update_index run as one bulk session: worker processes (multiproc.py), one commit, no
  merges, the old index searchable until the new one replaces it; saves meanwhile are queued, not blocked.
- Segments are plain files, not compound ones (which Whoosh copies into each reader's heap), except the
  small segments of saves (StagedSegmentWriter): written in memory, stored as one file, merged away soon.
- Commits on the save path merge nothing (merges.save_merge); merge_step merges in the background, outside
  the write lock but for choosing and committing.
- A save writes one small segment (postings of one document inlined) and finds the entry it replaces by
  term lookups, without opening every segment.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager

from haystack.constants import DJANGO_CT, ID
from haystack.exceptions import SkipDocument
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import RamStorage
from whoosh.util.filelock import try_for
from whoosh.writing import LockError, PostingPool, SegmentWriter

from articles.rebuild_status import process_alive
from articles.whoosh.merges import drop_existing, log_merge, merge_reader, pick_merge, request_background_merge
from articles.whoosh.multiproc import CheckedMpWriter
from articles.whoosh.snapshot import INDEX_NAME, retry_vanished

# How deep this thread is inside write_lock() (the fcntl lock is taken only at depth 0).
_write_lock_depth = threading.local()
WRITE_LOCK_TIMEOUT = 300  # seconds a writer waits for another process's commit


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
MERGE_FOLDER_PREFIX = ".kzarchive-merge-"  # where merge_step writes a merged segment before moving it in
MAX_MERGE_STEPS = 1000  # merge_segments gives up after this many (other processes keep changing the index)


@contextmanager
def _flock(path: str, wait: bool = True):
    """An exclusive lock on the file `path`, across processes; yields False (without waiting) when another
    holds it and `wait` is false."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class IndexWriting:
    """The writing half of ArchiveWhooshBackend (articles/whoosh/backend.py)."""

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
        with _flock(os.path.join(self.path, ".kzarchive-write.lock")):
            _write_lock_depth.depth = 1
            try:
                yield
            finally:
                _write_lock_depth.depth = 0

    def _writer(self, procs: int = 1, staged: bool = False, **kwargs):
        self.index = self.index.refresh()
        # Segments as separate files, not Whoosh's default compound file: a reader of a compound segment
        # copies each part of it (postings, terms, stored fields) from the mmap into a BytesIO, so every
        # serving process held the whole index in its heap (800 MB per worker at 100k articles). Separate
        # files are read through the page cache, which all processes share. `staged` (writes of fewer than
        # BULK_DOCS documents) is the exception: one compound file of a few documents, soon merged away.
        kwargs.update(timeout=WRITE_LOCK_TIMEOUT, delay=0.05, compound=False)
        if procs > 1:
            return CheckedMpWriter(self.index, procs=procs, batchsize=BULK_JOB_DOCS, multisegment=True, **kwargs)
        return save_writer(self.index, staged=staged and self.use_file_storage, **kwargs)

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
        with self.write_lock():
            writer = self._writer(limitmb=BULK_LIMITMB if bulk else 128, staged=not bulk)
            try:
                # The lock is held throughout: no other writer can add an entry of these ids meanwhile.
                delete_existing(writer, [doc[ID] for doc in docs], self._terms_readers)
                for doc in docs:
                    writer.add_document(**doc)
            except Exception:
                writer.cancel()
                raise
            self._commit_saved(writer)

    def _commit_saved(self, writer) -> None:
        """Commit a save-path writer; start a background merge (after the lock is released) if its
        policy asks for one."""
        writer.commit(mergetype=self.save_merge)
        if getattr(writer, "merge_wanted", False) and self.use_file_storage:
            request_background_merge(self)

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

    def _pending_file_lock(self):
        return _flock(os.path.join(self.path, ".kzarchive-pending.lock"))

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
            if process_alive(pid):
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
        """The merges saves leave out, until no size class holds MERGE_FACTOR segments (each written
        outside the write lock, merge_step); with `everything`, into one segment (Whoosh's optimize, under
        the lock). Returns the segment counts before and after. Searches go on meanwhile."""
        if not self.setup_complete:
            self.setup()
        before = len(retry_vanished(self.index.refresh)._segments())
        if everything:
            with self.write_lock():
                self.index = self.index.refresh()
                if len([seg for seg in self.index._segments() if seg.doc_count() > 0]) > 1:
                    self._writer().commit(optimize=True)
        else:
            for _ in range(MAX_MERGE_STEPS):
                if not self.merge_step(None, wait=True):
                    break
        self.index = retry_vanished(self.index.refresh)
        return before, len(self.index._segments())

    def merge_step(self, max_docs: int | None, wait: bool = True) -> bool:
        """Merge the segments pick_merge chooses (up to max_docs documents), holding the write lock only
        to choose them and to commit the result: saves go on while the merged segment is written.

        1. Under the lock: read the segment list, choose, open readers on the chosen segments (every file
           open, snapshot.install) and note their deleted documents.
        2. Without it: copy their live documents into one new segment in a folder of its own inside the
           index folder (`.kzarchive-merge-*`; Whoosh's commits delete unknown segment files of the index
           itself, and ignore names starting with a dot).
        3. Under the lock: if a chosen segment is gone (a rebuild, clear_index or another merge), drop the
           result; else mark deleted in it what saves deleted from the chosen segments meanwhile, move its
           files in and commit a new table of contents without the chosen segments. Searchers that hold
           the old generation keep their open files (snapshot.py).

        Returns whether it merged (or found something to merge), so callers loop until it is False."""
        from whoosh.filedb.filestore import FileStorage

        if not self.setup_complete:
            self.setup()
        if not self.use_file_storage:
            return False
        with _flock(os.path.join(self.path, ".kzarchive-merge.lock"), wait) as got:  # one merger at a time
            if not got:
                return False
            for leftover in glob.glob(os.path.join(glob.escape(self.path), MERGE_FOLDER_PREFIX + "*")):
                shutil.rmtree(leftover, ignore_errors=True)  # a merger killed part way
            with self.write_lock():
                index = self.index.refresh()
                live = [seg for seg in index._segments() if seg.doc_count() > 0]
                group = pick_merge(live, max_docs)
                if not group:
                    return False
                deleted = {seg.segment_id(): set(seg.deleted_docs()) for seg in group}
                readers = [merge_reader(index.storage, index.schema, seg) for seg in group]
            folder = tempfile.mkdtemp(prefix=MERGE_FOLDER_PREFIX, dir=self.path)
            try:
                try:
                    merged_index = FileStorage(folder).create_index(index.schema, indexname=INDEX_NAME)
                    writer = merged_index.writer(compound=False)
                    for reader in readers:
                        writer.add_reader(reader)
                    writer.commit(merge=False)
                finally:
                    for reader in readers:
                        reader.close()
                (merged,) = merged_index.refresh()._segments()
                with self.write_lock():
                    writer = self._writer()
                    current = {seg.segment_id(): seg for seg in writer.segments}
                    if any(segment_id not in current for segment_id in deleted):
                        writer.cancel()
                        return True
                    base = 0
                    for seg in group:
                        gone = deleted[seg.segment_id()]
                        since = set(current[seg.segment_id()].deleted_docs()) - gone
                        if since:
                            kept = [n for n in range(seg.doc_count_all()) if n not in gone]
                            position = {n: base + i for i, n in enumerate(kept)}
                            for n in since:
                                merged.delete_document(position[n])
                        base += seg.doc_count_all() - len(gone)
                    prefix = merged.make_filename(".")
                    for name in os.listdir(folder):
                        if name.startswith(prefix):
                            os.replace(os.path.join(folder, name), os.path.join(self.path, name))
                    keep = [seg for seg in writer.segments if seg.segment_id() not in deleted]
                    writer.commit(mergetype=lambda _writer, _segments: [*keep, merged])
                    return True
            finally:
                shutil.rmtree(folder, ignore_errors=True)

    def remove(self, obj_or_string, commit=True):
        if not self.setup_complete:
            self.setup()
        from haystack.utils import get_identifier

        if self._session is not None:
            self._session.writer.delete_by_term(ID, get_identifier(obj_or_string))
            return
        with self.write_lock():
            writer = self._writer()
            writer.delete_by_term(ID, get_identifier(obj_or_string))
            self._commit_saved(writer)

    def clear(self, models=None, commit=True):
        if not self.setup_complete:
            self.setup()
        if not models and self.use_file_storage:
            os.makedirs(self.path, exist_ok=True)  # clear_index also makes a missing index
            if not self.index_exists():
                self.create_index()
        with self.write_lock():
            if not models:
                self.delete_index()
                return
            writer = self._writer()
            for model in models:
                writer.delete_by_term(DJANGO_CT, f"{model._meta.app_label}.{model._meta.model_name}")
            writer.commit(mergetype=self.save_merge)


def inlining_codec():
    """Whoosh's codec, but a term with one posting keeps it in its term entry instead of the postings
    file: a single save's segment has one posting per term, and writing each as its own pickled,
    zlib-compressed block was about a third of the commit. (Whoosh's own inlinelimit cannot do it: its
    default inlines nothing, and a higher limit fails, calling `set_inline` for `set_inlined`.)"""
    from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter

    class InliningPostingsWriter(W3PostingsWriter):
        def finish_postings(self):
            # Only postings with a value (positions): Whoosh's ListMatcher reads an inlined posting
            # without one as "" where merges need b"".
            if self.written() or len(self) != 1 or len(self._values) != 1:
                return super().finish_postings()
            terminfo, self._terminfo = self._terminfo, None
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            return terminfo

    class InliningCodec(W3Codec):
        def postings_writer(self, dbfile, byteids=False):
            return InliningPostingsWriter(
                dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression
            )

    return InliningCodec()


def save_writer(index, staged: bool = False, **kwargs):
    """A writer for the save path, with inlining_codec. Its segment records Whoosh's plain codec (the one
    pickled into the TOC, which reads inlined postings too), so no index depends on this module's classes.
    `staged`: write the segment in memory and store it as one file (StagedSegmentWriter)."""
    from whoosh.codec.whoosh3 import W3Codec

    if staged:
        writer = StagedSegmentWriter(index, codec=inlining_codec(), **kwargs)
    else:
        writer = index.writer(codec=inlining_codec(), **kwargs)
    writer.newsegment._codec = W3Codec()
    return writer


class RamStaging(RamStorage):
    """Whoosh's RamStorage whose temporary storages are in memory too (its own makes a folder on disk)."""

    def temp_storage(self, name=None):
        return RamStaging()


class StagedSegmentWriter(SegmentWriter):
    """A small write's segment (a save, an ingest batch) built in memory and stored as one compound file.

    Whoosh writes a segment as ~15 files (terms, postings, one per column) and makes two temporary folders
    per writer; creating a file costs ~0.9 ms on this machine's disk, ~15 ms of a 50-60 ms save. Here every
    part is written to a RamStorage and assembled into the segment's `.seg` file: one file created. Readers
    open a compound segment through an mmap (which outlives the file's deletion by a merge, as the open
    files of snapshot.install do); merges rewrite small segments into plain files.
    """

    def __init__(self, ix, timeout=0.0, delay=0.1, limitmb=128, codec=None, **_kwargs):
        # SegmentWriter.__init__, with the staging storage where it writes the segment and its pool.
        self.writelock = ix.lock("WRITELOCK")
        if not try_for(self.writelock.acquire, timeout=timeout, delay=delay):
            raise LockError
        self.codec = codec
        self.storage = ix.storage
        self.indexname = ix.indexname
        info = ix._read_toc()
        self.generation = info.generation + 1
        self.schema = info.schema
        self.segments = info.segments
        self.docnum = self.docbase = 0
        self._setup_doc_offsets()
        self.staging = self._tempstorage = RamStaging()
        self.newsegment = codec.new_segment(self.storage, self.indexname)
        self.compound = True
        self.is_closed = False
        self._added = False
        self.pool = PostingPool(self.staging, self.newsegment, limitmb=limitmb)
        self.perdocwriter = codec.per_document_writer(self.staging, self.newsegment)
        self.fieldwriter = codec.field_writer(self.staging, self.newsegment)
        self.merge = True
        self.optimize = False
        self.mergetype = None

    def per_document_reader(self):
        if not self.perdocwriter.is_closed:
            raise Exception("Per-doc writer is still open")
        return self.codec.per_document_reader(self.staging, self.get_segment())

    def _assemble_segment(self):
        segment = self.get_segment()
        cfile = segment.create_file(self.storage, segment.COMPOUND_EXT)
        CompoundStorage.assemble(cfile, self.staging, segment.list_files(self.staging))  # closes cfile
        segment.compound = True


def delete_existing(writer, ids: list[str], terms_readers: dict | None = None) -> None:
    """Delete the live entries of these ids (the writer's own segments, as of its TOC).

    What Whoosh's update_document does, but reading only each segment's term index: update_document and
    writer.searcher() open a full reader (about 21 files with snapshot.install) on every segment, and a
    single save paid for that twice, plus once more for doc_count_all().

    `terms_readers` (segment id -> its open terms reader and compound storage or None) keeps the term indexes
    open from one save to the next:
    a segment's files never change, and opening its term index (reading its hash table's directory) was
    ~1 ms per segment per save. Entries of segments no longer in the index are closed here.
    """
    field = writer.schema[ID]
    keys = [field.to_bytes(i) for i in ids]
    if terms_readers is not None:
        current = {segment.segment_id() for segment in writer.segments}
        for gone in [segment_id for segment_id in terms_readers if segment_id not in current]:
            _close_terms(*terms_readers.pop(gone))
    for segment, offset in zip(writer.segments, writer._doc_offsets, strict=True):
        if not segment.doc_count():
            continue
        opened = terms_readers.get(segment.segment_id()) if terms_readers is not None else None
        if opened is None:
            # A compound segment (a save's, StagedSegmentWriter) is read through its own storage.
            compound = segment.open_compound_file(writer.storage) if segment.is_compound() else None
            opened = (segment.codec().terms_reader(compound or writer.storage, segment), compound)
            if terms_readers is not None:
                terms_readers[segment.segment_id()] = opened
        terms = opened[0]
        try:
            for key in keys:
                if (ID, key) not in terms:
                    continue
                for docnum in terms.matcher(ID, key, field.format).all_ids():
                    if not segment.is_deleted(docnum):
                        writer.delete_document(offset + docnum)
        finally:
            if terms_readers is None:
                _close_terms(*opened)


def _close_terms(terms, compound) -> None:
    terms.close()
    if compound is not None:
        compound.close()


class BulkSession:
    """The writer of a bulk session, and a searcher on the segments that existed when it began (to
    replace an article already indexed there)."""

    def __init__(self, writer, has_documents: bool):
        self.writer = writer
        self.existing = writer.searcher() if has_documents else None

    def add(self, docs: list[dict]) -> None:
        """Add documents, deleting any entry of the same id that `existing` finds.

        What Whoosh's update_document does, but with one searcher for the whole batch: update_document
        opens a reader on every segment for each document.
        """
        if self.existing is not None:
            for doc in docs:
                for docnum in self.existing.document_numbers(**{ID: doc[ID]}):
                    self.writer.delete_document(docnum)
        for doc in docs:
            self.writer.add_document(**doc)

    def close(self) -> None:
        if self.existing is not None:
            self.existing.close()
            self.existing = None
