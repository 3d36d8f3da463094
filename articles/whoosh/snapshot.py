"""Searchers that survive writers in other processes: each reads one generation of the index, whole.

Whoosh 2.7.4 opens a segment's column files (stored fields, lengths, sort keys) lazily, on first use.
A commit in another process that merges segments deletes the merged segments' files; a searcher still
reading the older generation then opened a file that was gone, and the backend's old patch that
remembered missing length columns remembered that `None`: searches failed with `TypeError: 'NoneType'
object is not subscriptable` in `stored_fields` (issue 11, 1 search in 28 during edits).

Here:
- a segment reader opens every file of its segment when it is created (`install`), so deleting them
  later cannot take them away (an open file outlives its name on POSIX); whether a column exists is
  answered from that listing, and a missing column is never remembered as missing;
- `open_searcher` opens all segments of one generation and keeps the result only if no commit happened
  while it listed them (else a merge may have removed part of a segment under the listing): it tries
  again at the new generation;
- `index_token` names the generation a searcher reads by the folder, the TOC's number and the TOC file
  itself, so a full rebuild into a new folder (whose first TOC may have the old number) is noticed too;
  `Snapshots` reopens on the next use after it changes and closes replaced searchers after a grace
  period (a request may still be using one), and at once beyond the newest MAX_RETIRED: each holds every
  file of its generation open, and a worker under steady edits (ten commits a second in
  benchmarks/soak.py) kept 60 s of them, 20,000 descriptors, until every search failed with "Too many
  open files". A search whose searcher is closed under it is retried on the newest one (`reading`).
"""

from __future__ import annotations

import copy
import os
import re
import threading
import time

from articles.index_state import IndexDamaged, IndexMissing, IndexUnavailable
from articles.whoosh.scoring import ArchiveBM25F

INDEX_NAME = "MAIN"
TOC_PATTERN = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")
OPEN_ATTEMPTS = 50  # tries to open a generation while other processes keep committing
RETIRE_AFTER = 10.0  # seconds a replaced searcher stays open for requests still using it
MAX_RETIRED = 2  # replaced searchers kept open at most (older ones are closed at once)


def install() -> None:
    """Make Whoosh's per-document reader open all of its segment's column files at once."""
    from whoosh.codec import whoosh3

    cls = whoosh3.W3PerDocReader
    if getattr(cls, "_kz_eager", False):
        return
    _raise_open_file_limit()
    original_init = cls.__init__

    def __init__(self, storage, segment):
        original_init(self, storage, segment)
        prefix = segment.segment_id() + "."
        for name in storage.list():
            if not name.startswith(prefix):
                continue
            if name.endswith(whoosh3.W3Codec.COLUMN_EXT):
                fieldname = name[len(prefix) : -len(whoosh3.W3Codec.COLUMN_EXT)]
                length = storage.file_length(name)
                self._colfiles[fieldname] = (storage.open_file(name), 0, length)
            elif name.endswith(whoosh3.W3Codec.VPOSTS_EXT):
                self._vpostfile = storage.open_file(name)

    def has_column(self, fieldname):
        return fieldname in self._colfiles

    def column_reader(self, fieldname, column):
        colfile, offset, length = self._colfiles[fieldname]  # KeyError: the segment has no such column
        return column.reader(colfile, offset, length, self._doccount)

    def _cached_reader(self, fieldname, column):
        """The column's reader, kept; None (not kept) when the segment has no such column."""
        reader = self._readers.get(fieldname)
        if reader is None and fieldname in self._colfiles:
            reader = self._readers[fieldname] = self.column_reader(fieldname, column)
        return reader

    def _prep_vectors(self):
        if self._vpostfile is None:
            raise FileNotFoundError(f"segment {self._segment.segment_id()} has no vector file")

    for method in (__init__, has_column, column_reader, _cached_reader, _prep_vectors):
        setattr(cls, method.__name__, method)
    cls._kz_eager = True


def _raise_open_file_limit() -> None:
    """Every open generation holds about 21 files per segment; a worker's searchers over an index of a few
    dozen segments need a few thousand descriptors, past the common soft limit of 1,024. Take the hard
    limit, as servers do (the soak reached 1,800 open files in one worker with 23 segments)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ImportError, ValueError, OSError):  # not POSIX, or not allowed: keep the limit there is
        pass


def index_token(path: str) -> tuple:
    """Which generation of the index in `path` is newest, as (folder, TOC number, TOC file identity).

    Raises IndexMissing when the folder or its table of contents is gone, FileNotFoundError when the TOC
    just listed was replaced by a commit (the caller asks again)."""
    try:
        folder = os.stat(path)
        names = os.listdir(path)
    except FileNotFoundError:
        raise IndexMissing(f"the search index folder {path} does not exist; {IndexUnavailable.REPAIR}") from None
    except PermissionError:
        raise IndexUnavailable(f"the search index folder {path} cannot be read (permission denied)") from None
    generations = [int(m.group(1)) for m in map(TOC_PATTERN.match, names) if m]
    if not generations:
        raise IndexMissing(f"there is no search index in {path} (no table of contents); {IndexUnavailable.REPAIR}")
    generation = max(generations)
    toc = os.stat(os.path.join(path, f"_{INDEX_NAME}_{generation}.toc"))
    return (folder.st_dev, folder.st_ino, generation, toc.st_ino, toc.st_mtime_ns, toc.st_size)


def newest_token(path: str) -> tuple:
    """index_token, asked again while commits replace the TOC under it."""
    for _ in range(OPEN_ATTEMPTS):
        try:
            return index_token(path)
        except FileNotFoundError:
            time.sleep(0.01)
    raise IndexUnavailable(f"the search index in {path} changed too often to be opened; try again")


def open_searcher(index, path: str, reuse=None):
    """(searcher, token): a searcher holding every file of the newest generation open, and its token.

    With `reuse` (a searcher of an earlier generation of the same folder, still open), a segment it read
    is not opened again: the new generation gets a view of its reader (`_view`), sharing its open files,
    with the new generation's deletions. Only new segments are opened, so a save's reopen costs its one
    small segment, not every segment's 21 files (at 10 segments, most of the search after a save)."""
    from whoosh.index import TOC
    from whoosh.searching import Searcher

    storage, schema = index.storage, index._schema
    old = {}
    if reuse is not None:
        for leaf, _ in reuse.reader().leaf_readers():
            if getattr(leaf, "_terms", None) is not None and not leaf.is_closed:
                old[leaf.segment().segment_id()] = leaf
    for _ in range(OPEN_ATTEMPTS):
        opened: list = []
        try:
            token = index_token(path)
            toc = TOC.read(storage, INDEX_NAME, gen=token[2], schema=schema)
            reader = _generation_reader(storage, toc.schema, toc.segments, toc.generation, old, opened)
        except FileNotFoundError:  # a commit replaced the TOC or merged a segment away: read the new one
            _close_all(opened)
            time.sleep(0.02)
            continue
        except IndexUnavailable:
            _close_all(opened)
            raise
        except Exception as exc:  # noqa: BLE001 - any other failure to read it means the files are damaged
            _close_all(opened)
            raise IndexDamaged(
                f"the search index in {path} is damaged: it cannot be read ({type(exc).__name__}: {exc}); "
                + IndexUnavailable.REPAIR
            ) from exc
        try:
            unchanged = index_token(path) == token
        except (FileNotFoundError, IndexUnavailable):
            unchanged = False
        if unchanged:
            return Searcher(reader, fromindex=index, weighting=ArchiveBM25F), token
        # A commit meanwhile may have deleted part of a segment while it was being listed: close what was
        # opened here (never the reused readers' files, which the earlier generation still reads).
        _close_all(opened)
        time.sleep(0.01)
    raise IndexUnavailable(f"the search index in {path} changed too often to be opened; try again")


def _close_all(readers) -> None:
    for reader in readers:
        reader.close()


def _generation_reader(storage, schema, segments, generation, old: dict, opened: list):
    """What Whoosh's FileIndex._reader returns for these segments (an EmptyReader, a SegmentReader, or a
    MultiReader of them), with each segment found in `old` (segment id -> reader of an earlier generation)
    viewed, not opened again. Newly opened readers are appended to `opened`. (Whoosh's own `reuse`
    argument keys the old readers by generation and looks them up by segment id, so it never reuses one;
    and it closes the old readers, which a request may still be using.)"""
    from whoosh.reading import EmptyReader, MultiReader, SegmentReader

    if not segments:
        return EmptyReader(schema)
    readers = []
    for segment in segments:
        previous = old.get(segment.segment_id())
        if previous is not None and previous.doc_count_all() == segment.doc_count_all():
            readers.append(_view(previous, segment, generation, schema))
        else:
            reader = SegmentReader(storage, schema, segment, generation=generation)
            opened.append(reader)
            readers.append(reader)
    return readers[0] if len(readers) == 1 else MultiReader(readers, generation=generation)


def _view(reader, segment, generation, schema):
    """A reader of `segment` (this generation's entry of the segment `reader` read) that shares `reader`'s
    open files and per-segment caches (terms, columns, stored fields: a segment's files never change) and
    answers deletions from `segment` (the only part of a segment a commit changes: an edit or a delete marks
    documents deleted in the table of contents). A separate object per generation: each searcher marks its
    own closed, and the files are closed with the last searcher reading them (Snapshots)."""
    view = copy.copy(reader)
    view._segment, view._gen, view.schema, view.is_closed = segment, generation, schema, False
    perdoc = view._perdoc = copy.copy(reader._perdoc)
    perdoc._segment = segment
    return view


def _core(reader):
    """What a segment reader's views share (its terms reader, which owns the open files); the reader itself
    for readers without one (EmptyReader)."""
    return getattr(reader, "_terms", None) or reader


class Snapshots:
    """The current searcher of one index folder, reopened when its generation changes.

    A new generation reuses the open segment readers of the current one (open_searcher's `reuse`), so the
    files of a segment are shared by every searcher that reads it: they are counted (`_users`, per segment
    core) and closed when the last searcher reading them is closed."""

    def __init__(self):
        self.searcher = None
        self.token = None
        self.lock = threading.Lock()
        self._retired: list[tuple[float, object]] = []
        self._users: dict[int, list] = {}  # id(core) -> [searchers reading it, a reader owning it]

    def current(self, index, path: str, on_new=None):
        """The searcher of the newest generation; `on_new(searcher)` runs once per newly opened one."""
        with self.lock:
            token = newest_token(path)
            if self.searcher is None or token != self.token:
                # Segments of the same folder only: a rebuild into a new folder shares none (token[:2]).
                same_folder = self.searcher is not None and self.token[:2] == token[:2]
                searcher, token = open_searcher(index, path, reuse=self.searcher if same_folder else None)
                self._hold(searcher)
                if on_new is not None:
                    try:
                        on_new(searcher)
                    except BaseException:
                        self._release(searcher)
                        raise
                self._retire(self.searcher)
                self.searcher, self.token = searcher, token
            self._close_retired()
            return self.searcher

    def drop(self) -> None:
        """Forget the current searcher (the next use opens the newest generation, reusing nothing)."""
        with self.lock:
            self._retire(self.searcher)
            self.searcher = self.token = None

    def _hold(self, searcher) -> None:
        for leaf, _ in searcher.reader().leaf_readers():
            entry = self._users.setdefault(id(_core(leaf)), [0, leaf])
            entry[0] += 1

    def _release(self, searcher) -> None:
        """Close a searcher: its readers are marked closed (a request still using it gets ReaderClosed and
        is retried on the newest one, `reading`), and the files of segments no other searcher reads are
        closed."""
        top = searcher.reader()
        for leaf, _ in top.leaf_readers():
            leaf.is_closed = True
            key = id(_core(leaf))
            entry = self._users.get(key)
            if entry is None:
                continue
            entry[0] -= 1
            if entry[0] <= 0:
                del self._users[key]
                owner = entry[1]
                owner.is_closed = False
                owner.close()
        top.is_closed = True

    def _retire(self, searcher) -> None:
        if searcher is not None:
            self._retired.append((time.monotonic(), searcher))

    def _close_retired(self) -> None:
        now = time.monotonic()
        keep = []
        for n, (when, searcher) in enumerate(self._retired):
            if now - when >= RETIRE_AFTER or len(self._retired) - n > MAX_RETIRED:
                self._release(searcher)
            else:
                keep.append((when, searcher))
        self._retired = keep

    @property
    def open_count(self) -> int:
        """Searchers holding files open: the current one and those retired but not yet closed."""
        return len(self._retired) + (self.searcher is not None)


def reading(fn):
    """Run a read of the index; on a vanished file retry once on a freshly opened generation, and turn
    any other failure to read the files into IndexDamaged (a 503 with the reason, logged), never a 500.

    `fn(backend, *args)` must do all its parsing of user input before calling backend.searcher(), so a
    refused query never looks like damage: that is what `reading_started` marks."""
    import functools
    import logging

    from articles.query_bounds import BadParameter

    log = logging.getLogger("articles.index")

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        if not self.setup_complete:
            self.setup()
        for attempt in (1, 2):
            self._local.reading = False
            try:
                return fn(self, *args, **kwargs)
            except (IndexUnavailable, BadParameter):  # the index's own verdict, or the query's
                raise
            except FileNotFoundError:
                if attempt == 2 or not self._local.reading:
                    raise
                self._snapshots.drop()
            except Exception as exc:
                if not getattr(self._local, "reading", False):
                    raise
                if attempt == 1:
                    self._snapshots.drop()
                    continue
                log.exception("search index read failed twice")
                raise IndexDamaged(
                    f"the search index in {self.path} is damaged: it cannot be read ({type(exc).__name__}); "
                    + IndexUnavailable.REPAIR
                ) from exc
            finally:
                self._local.reading = False
        raise AssertionError("unreachable")

    return wrapper


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
