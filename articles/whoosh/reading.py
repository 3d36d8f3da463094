"""Reading the index: the long-lived searcher, caches per segment, and the one pass that answers a query.

- One searcher is reused until the index changes (any commit, or a rebuild into a new folder, noticed on
  the next use); it holds every file of its generation open (snapshot.py). Narrowing is a filter, not a
  second search.
- One pass per query: the page, the exact total and the facet counts come from one collection, kept
  for the next pages of the same query (query_cache.py).
- Fuzzy terms are expanded against every segment of the generation at once (_share_fuzzy_terms).
- Browsing everything reads each segment's sort order and facet counts, computed once per segment.
"""

from __future__ import annotations

import heapq
import time
from itertools import chain, islice

import numpy as np
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector, WrappingCollector

from articles import index_state, query_bounds
from articles.whoosh import operators, phrases, skipping, vectorised  # noqa: F401 - Whoosh fixes; faster phrases
from articles.whoosh.scoring import ArchiveBM25F

COUNT_RECHECK = 30.0  # seconds between comparisons of the index's document count with the database's


# The matches of a query that matches every live document (browsing, with no filter).
ALL_DOCS = object()

# Top documents a search keeps beyond the page asked for, so haystack's count-then-page pair (and the
# first pages after it) come from one pass.
TOP_PREFETCH = 100


class IndexReading:
    """The reading half of ArchiveWhooshBackend (articles/whoosh/backend.py): searcher, caches, collection."""

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
                    self._searcher = self.index.searcher(weighting=ArchiveBM25F)
                    self._on_new_searcher(self._searcher)
                return self._searcher
        searcher = self._snapshots.current(self.index, self.path, on_new=self._on_new_searcher)
        self._searcher = searcher
        complete, now = self._complete, time.monotonic()
        if complete is None or complete[0] != self._snapshots.token or now - complete[1] > COUNT_RECHECK:
            index_state.check_complete(searcher.doc_count())
            self._complete = (self._snapshots.token, now)
        return searcher

    def _on_new_searcher(self, searcher):
        """Number the new generation, and forget what was cached for segments and queries of older ones."""
        live = set()
        leaves = [sub.reader() for sub, _ in searcher.leaf_searchers()]
        shared: dict = {}  # one union per fuzzy term for the whole generation, not one per segment
        for reader in leaves:
            _share_fuzzy_terms(reader, leaves, shared)
            live.add(segment_key(reader))
        self._per_segment = {k: v for k, v in self._per_segment.items() if k[0] in live}
        searcher._kz_generation = generation = next(self._generations)  # itertools.count: atomic
        self._query_cache.keep_generation(generation)
        self._per_generation = {k: v for k, v in self._per_generation.items() if k[0] == generation}

    def _segment_cached(self, reader, kind: str, name, compute):
        """compute(), remembered for this segment until it leaves the index (a list kept as a tuple: see
        kept_value)."""
        key = (segment_key(reader), kind, name)
        value = self._per_segment.get(key)
        if value is None:
            value = self._per_segment[key] = kept_value(compute())
        return value

    def _generation_cached(self, searcher, kind: str, name, compute, most: int | None = None):
        """compute(), remembered until the index changes (the searcher's generation is in the key). Kinds keyed
        by what users vary (filter values, queries) keep at most `most` values, then start again."""
        key = (searcher._kz_generation, kind, name)
        value = self._per_generation.get(key)
        if value is None:
            if most is not None and sum(k[1] == kind for k in self._per_generation) >= most:
                self._per_generation = {k: v for k, v in self._per_generation.items() if k[1] != kind}
            value = self._per_generation[key] = compute()
        return value

    def _top_of_everything(self, searcher, spec: tuple, segment_keys: list, limit: int) -> list:
        """The first `limit` (key, document number) pairs of all live documents in sort order, merged
        from each segment's documents sorted once; what nsmallest over every document would give."""
        runs = []
        for (sub, offset), keys in zip(searcher.leaf_searchers(), segment_keys, strict=True):
            reader = sub.reader()
            order = self._segment_order(reader, spec, keys)
            runs.append(_live_run(order, offset, reader.is_deleted if reader.has_deletions() else None))
        return list(islice(heapq.merge(*runs), limit))

    def _segment_order(self, reader, spec: tuple, keys) -> tuple:
        """One segment's (key, local number) pairs in sort order, sorted once per segment and sort (a worker's
        warm-up sorts the big ones: articles.search.warm_up)."""
        return self._segment_cached(reader, "order", spec, lambda: sorted(zip(keys, range(len(keys)), strict=True)))

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

    def _generation_sort_keys(self, searcher, spec: tuple, segment_keys: list) -> tuple:
        """Every document's sort key in this generation (the segments' keys in leaf order), joined once per
        generation for the sorted search and the merge of a sorted refinement's segments alike (a tuple: see
        kept_value)."""
        return self._generation_cached(searcher, "sort keys", spec, lambda: tuple(chain.from_iterable(segment_keys)))

    def _pin_expansions(self, parsed, searcher, bounds):
        """The query with its prefixes, wildcards and fuzzy terms expanded within the bounds (query_bounds)."""
        readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
        limit = query_bounds.max_expansions()
        return query_bounds.pin_expansions(parsed, readers, self.content_field_name, bounds, limit)

    def _collect(self, searcher, parsed, filter_query, sortedby, reverse, limit: int, deadline):
        """One pass: (top, docs, total): the top `limit` (score or sort key, document number) pairs in
        Whoosh's order, every matching document number (a numpy array, ascending: those found by the
        deadline, which records whether it stopped the pass; ALL_DOCS when browsing everything) and their
        count."""
        allow = searcher._filter_to_comb(filter_query) if filter_query is not None else None
        if allow is not None and not allow:
            # A filter that matches no document (a typo, a year with no articles): nothing matches. This
            # must be decided here: Whoosh's FilterCollector reads an empty allow-set as "no filter"
            # (`if allow`), which made such a filter a no-op under relevance sort (issue 10).
            return [], doc_numbers([]), 0
        sort_keys = self._segment_sort_keys(searcher, sortedby) if sortedby and not reverse else None
        if sort_keys is not None and filter_query is None and type(parsed) is wq.Every and parsed.fieldname is None:
            # Browsing everything (the home page): no document is visited, only each segment's sort order
            # (computed once) and its facet counts (see _segment_live_counts).
            return self._top_of_everything(searcher, *sort_keys, limit), ALL_DOCS, searcher.doc_count()
        if sort_keys is not None:
            keys = self._generation_sort_keys(searcher, *sort_keys)
            # What SortingCollector does (every match keyed, sorted by (key, number), cut to `limit`),
            # with the matches listed by the matchers directly and the keys read from the cache.
            docs = list(deadline.until(searcher.docs_for_query(parsed)))
            if allow is not None:
                docs = [d for d in docs if d in allow]
            top = heapq.nsmallest(limit, zip(map(keys.__getitem__, docs), docs, strict=True))
            return top, doc_numbers(docs), len(docs)
        if not sortedby:
            # Every match is scored (as arrays where vectorised.py can; else no block skipping or matcher
            # replacement), so the total is exact.
            found = vectorised.all_matches(searcher, parsed, allow, deadline)
            if found is not None:
                docs, scores = found
                return vectorised.top_by_score(docs, scores, limit), doc_numbers(docs), len(docs)
            top = MatchRecorder(limit, deadline, skip=False, allow=allow)
            searcher.search_with_collector(parsed, top)
            return top.results().top_n, doc_numbers(top.docs), len(top.docs)
        top = searcher.collector(limit=limit, sortedby=sortedby, reverse=reverse)
        docs_collector = _DocsCollector(top, deadline)
        collector = docs_collector
        if allow is not None:
            collector = FilterCollector(docs_collector, allow)
        searcher.search_with_collector(parsed, collector)
        return collector.results().top_n, doc_numbers(docs_collector.docs), len(docs_collector.docs)

    def _collect_first_page(self, searcher, parsed, filter_query, limit: int, deadline):
        """(top, docs, scores, complete) for a new query's first page by relevance, its counts and facets to
        follow (issue 16): the top `limit` (score, number) pairs in Whoosh's order, the matches found
        (global numbers, ascending) and their scores, and whether those are every match. None for a filter
        that allows nothing: the full pass answers that at once, with its notices.

        The query's matchers are evaluated as arrays (vectorised.py: every match scored, a phrase checked
        only until its top is certain); where they cannot be, Whoosh's TopCollector with block-quality
        skipping ranks the page (blocks that cannot reach the top are not scored, so the count is known
        only if none was skipped)."""
        allow = searcher._filter_to_comb(filter_query) if filter_query is not None else None
        if allow is not None and not allow:
            return None
        found = vectorised.first_page(searcher, parsed, allow, limit, deadline)
        if found is not None:
            return found
        top = MatchRecorder(limit, deadline, skip=True, allow=allow)
        searcher.search_with_collector(parsed, top)
        complete = not top.skipped_times and not deadline.reached
        return top.results().top_n, doc_numbers(top.docs), np.asarray(top.scores, dtype=np.float64), complete


def kept_value(value):
    """A list kept across requests, as a tuple. The garbage collector walks every element of every list at
    each full collection, but stops tracking a tuple of strings, numbers and such tuples: at 100,000 articles
    the per-segment facet values and sort keys (some 700,000 elements) made each full collection take 75 ms,
    and one fell inside a request now and then."""
    return tuple(value) if type(value) is list else value


def doc_numbers(docs) -> np.ndarray:
    """Matched document numbers as every path keeps them (facets, filters and the query cache read them)."""
    return np.asarray(docs, dtype=np.int32)


def _live_run(order, offset: int, is_deleted):
    """One segment's (key, local number) pairs as (key, global number), deleted documents skipped."""
    if is_deleted is None:
        return ((key, docnum + offset) for key, docnum in order)
    return ((key, docnum + offset) for key, docnum in order if not is_deleted(docnum))


class MatchRecorder(TopCollector):
    """Every match's global document number and score (`docs`, `scores`, in match order) and, with `limit`,
    the top `limit` as TopCollector keeps them, until the search's deadline (query_bounds.Deadline); with
    `allow`, only matches in that set, as Whoosh's FilterCollector passes them.

    With `skip`, Whoosh's block-quality skipping (`skipped_times` counts the blocks skipped) but no matcher
    replacement, which could drop matches without counting them: a pass that skipped nothing saw every
    match (refining.MatchSet). Whoosh reads the top's new minimum score only when it replaces the matcher,
    so with replace=0 it never skipped a block; here the minimum is read at every match, and a block whose
    best possible score is not above it is skipped (its documents could not enter the top: a tie keeps the
    lower document number, already in).

    Each segment is collected in one loop (collect_matches): Whoosh's matches() -> collect() -> _collect()
    made three Python calls per match, and a wrapper that kept document numbers two more, about a fifth of a
    broad query's first page.
    """

    def __init__(self, limit: int, deadline, *, skip: bool, allow=None):
        super().__init__(max(limit, 1), usequality=skip, replace=0)
        self.keeps_top = limit > 0
        self.deadline = deadline
        self.allow = allow
        self.docs: list[int] = []
        self.scores: list[float] = []

    def _keep(self, global_docnum, score):
        items = self.items
        if len(items) < self.limit:
            heapq.heappush(items, (score, 0 - global_docnum))
            if len(items) == self.limit:
                self.minscore = items[0][0]
        elif score > items[0][0]:
            heapq.heapreplace(items, (score, 0 - global_docnum))
            self.minscore = items[0][0]

    def collect_matches(self):
        matcher, offset, deadline, allow, final = self.matcher, self.offset, self.deadline, self.allow, self.final_fn
        docs, scores, keep, keeps_top = self.docs.append, self.scores.append, self._keep, self.keeps_top
        usequality = self._use_block_quality()
        at, clock, countdown = deadline.at, time.monotonic, 0
        minscore, checkquality = self.minscore, True
        while matcher.is_active():
            if not countdown:  # the clock is read every CLOCK_EVERY matches, as Deadline.until reads it
                if clock() > at:
                    deadline.reached = True
                    return
                countdown = query_bounds.CLOCK_EVERY
            countdown -= 1
            if self.minscore != minscore:
                minscore, checkquality = self.minscore, True
            if usequality and checkquality and minscore:
                self.skipped_times += matcher.skip_to_quality(minscore)
                if not matcher.is_active():
                    break
            global_docnum = matcher.id() + offset
            if allow is None or global_docnum in allow:
                score = matcher.score()
                if final is not None:  # a weighting with a final step (BM25F has none)
                    score = final(self.top_searcher, global_docnum, score)
                docs(global_docnum)
                scores(score)
                if keeps_top:
                    keep(global_docnum, score)
            checkquality = matcher.next()


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


def segment_key(reader) -> str:
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else f"reader-{id(reader)}"


FUZZY_UNIONS = 256  # fuzzy terms remembered per generation


def _share_fuzzy_terms(reader, leaves: list, shared: dict) -> None:
    """Expand fuzzy terms (`terms_within`) against every segment of the generation at once.

    Whoosh looks them up in each segment's own spelling word list, so `goverment~` matched "govern" only in
    segments whose text happened to hold that word, and the hits depended on how the index was split
    into segments (2,141 vs 2,899 at 10k). The union makes a fuzzy query match what it matches on a
    one-segment index; terms a segment lacks simply have no postings there. The union is computed once
    per term for the generation (`shared`), not once per segment: with 9 segments, 81 lookups became 9.
    Each segment's own expansion is kept with its reader (a segment never changes), so a new generation
    looks a term up only in its new segments: at 100,000 articles, `goverment~` spent ~40 ms of its first
    page after every save expanding the term again in the two large segments.
    """
    if getattr(reader, "_kz_own_terms_within", None) is None:  # a reader kept by a newer generation is
        reader._kz_own_terms_within = reader.terms_within  # given that generation's segments below

    def terms_within(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        found = shared.get(key)
        if found is None:
            if len(shared) >= FUZZY_UNIONS:
                shared.clear()
            found = shared[key] = sorted({t for r in leaves for t in _segment_terms_within(r, key, args, kwargs)})
        return iter(found)

    reader.terms_within = terms_within


def _segment_terms_within(reader, key, args, kwargs) -> tuple:
    """One segment's own fuzzy expansion of a term, remembered with its reader."""
    memo = reader.__dict__.setdefault("_kz_terms_within_memo", {})
    found = memo.get(key)
    if found is None:
        if len(memo) >= FUZZY_UNIONS:
            memo.clear()
        found = memo[key] = tuple(reader._kz_own_terms_within(*args, **kwargs))
    return found
