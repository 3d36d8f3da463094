"""Recent queries' collections, so a researcher's next page, or a return to the results, costs no search.

A collection is what one pass over the index found for a query (reading.IndexReading._collect): its top
documents in order, every matching document number (for totals and facets) and the query with its
expansions pinned (for highlighting). It is keyed by the searcher's generation: any commit or rebuild
opens a new generation, so an entry of an older one is never found again (and is dropped when the new
searcher opens). Only complete collections are kept: one a query bound stopped early must be tried again
in full next time.

It also keeps each query's matches with their scores (refining.MatchSet), from which another sort or
set of facet filters is answered without a search.

Bounded in entries and in 4-byte units (document numbers, scores count twice); least recently used goes
first.
`KZARCHIVE_QUERY_CACHE=0` turns it off (every request searches), to compare answers with and without it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings

MAX_ENTRIES = 64
MAX_DOCS = 4_000_000  # document numbers over all entries: 16 MB


@dataclass(frozen=True)
class Collection:
    top: list  # (score or sort key, global document number), best first, at most `limit`
    docs: object  # every matching document number (numpy int32, ascending), or reading.ALL_DOCS
    total: int
    parsed: object  # the whoosh query searched, prefixes and fuzzy terms pinned to index terms
    limit: int
    notices: tuple[str, ...] = ()  # what the query's bounds changed (query_bounds)
    exact: bool = True  # False: a bound stopped the pass early (never kept)
    # True: only the first page was ranked (reading._collect_first_page): `docs` is empty (no facets) and
    # `total` the matches seen, a lower bound unless `total_known` (no block was skipped). Never kept.
    first_page_only: bool = False
    total_known: bool = True


def enabled() -> bool:
    return getattr(settings, "KZARCHIVE_QUERY_CACHE", True)


class QueryCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_docs: int = MAX_DOCS):
        self.max_entries, self.max_docs = max_entries, max_docs
        self._entries: OrderedDict[tuple, Collection] = OrderedDict()
        self._docs = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, needed: int) -> Collection | None:
        """The collection for `key` if it holds at least `needed` top documents."""
        found = self.lookup(key)
        return found if found is not None and found.limit >= needed else None

    def lookup(self, key: tuple):
        """Whatever is kept under `key` (a Collection or a refining.MatchSet), or None."""
        if not enabled():
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, collection) -> None:
        if not enabled():
            return
        size = _size(collection)
        if size > self.max_docs:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._docs -= _size(old)
            self._entries[key] = collection
            self._docs += size
            while len(self._entries) > self.max_entries or self._docs > self.max_docs:
                _, evicted = self._entries.popitem(last=False)
                self._docs -= _size(evicted)

    def keep_generation(self, generation: int) -> None:
        """Drop the entries of every other generation (a new searcher opened: they can never match)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] != generation]:
                self._docs -= _size(self._entries.pop(key))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._docs = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def doc_numbers(self) -> int:
        return self._docs


def _size(entry) -> int:
    """In 4-byte units: document numbers, twice for scores (float64), and the top list."""
    docs = entry.docs
    size = len(docs) if hasattr(docs, "__len__") else 0  # not reading.ALL_DOCS
    if getattr(entry, "scores", None) is not None:
        size += 2 * len(entry.scores)
    return size + len(getattr(entry, "top", ()))
