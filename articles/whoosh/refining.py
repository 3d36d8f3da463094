"""Refinements of a query already run: another page, sort, facet filter or chip removed, without a search.

A researcher refines one query many times. The first search of a query (whatever its filters and sort)
keeps its matches: every matching document number with its score (a `MatchSet`, in query_cache.py,
keyed by index generation and query). A refinement then filters those arrays by the exact terms of
its facet filters, orders them by score or by a sort key, and counts facets over what is left: numpy
over arrays, not a new Whoosh search that re-enumerates and re-scores every match in Python.

Answers are identical to a search: Whoosh ranks by score, then document number (TopCollector keeps
the lower number on a tie); sort keys order by (key, document number) as the sorted search does; scores
do not depend on filters. tests/test_query_cache.py compares both paths query by query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.fields import ID, KEYWORD

from articles import query_bounds
from articles.whoosh import query_cache, vectorised
from articles.whoosh.query_cache import Collection
from articles.whoosh.reading import MatchRecorder, doc_numbers


@dataclass(frozen=True)
class MatchSet:
    """Every document a query matches (global numbers, ascending) and, if scored, its score."""

    docs: np.ndarray  # int32
    scores: np.ndarray | None  # float64, or None when collected without scoring (a sorted search)
    parsed: object  # the query searched, its prefixes and fuzzy terms pinned
    notices: tuple[str, ...] = ()
    exact: bool = True  # False: a query bound stopped the pass, so these are the matches found by then


class Refining:
    """Refinements of ArchiveWhooshBackend (articles/whoosh/backend.py): a query's collection for another
    page, sort or set of facet filters, from its MatchSet."""

    MAX_ALLOWED = 512  # filter value sets kept per generation

    def _refine(self, searcher, key, parsed, narrow_parsed, exact, sortedby, reverse, limit) -> Collection | None:
        """The collection for `key` (see Searching.search) from the query's matches, kept or found now; None
        where a search answers instead: the cache is off, the query is narrowed by query text, the sort is
        reversed or not by plain columns, or everything is browsed unfiltered (per-segment caches answer)."""
        if not query_cache.enabled() or narrow_parsed or reverse:
            return None
        sort_keys = None
        if sortedby is not None:
            sort_keys = self._segment_sort_keys(searcher, sortedby)
            if sort_keys is None:
                return None
            if not exact and type(parsed) is wq.Every and parsed.fieldname is None:
                return None
        scored = sortedby is None
        matches_key = _matches_key(key)
        matches = self._query_cache.lookup(matches_key)
        if matches is None or (scored and matches.scores is None):
            matches = self._match_all(searcher, parsed, scored, key[-1][1])
            if matches.exact:
                self._query_cache.put(matches_key, matches)
        docs, scores = matches.docs, matches.scores
        if exact:
            keep = mask_of(docs, [self._allowed(searcher, field, values) for field, values in exact])
            docs, scores = docs[keep], None if scores is None else scores[keep]
        if scored:
            top = vectorised.top_by_score(docs, scores, limit)
        else:
            spec, segment_keys = sort_keys
            keys = self._generation_sort_keys(searcher, spec, segment_keys)
            top = top_by_rank(docs, self._segment_ranks(searcher, spec, segment_keys), keys, limit)
        return Collection(top, docs, len(docs), matches.parsed, limit, matches.notices, matches.exact)

    def _has_matches(self, key) -> bool:
        """Whether the query of `key` has its scored matches kept, so any page of it is cheap to answer."""
        matches = self._query_cache.lookup(_matches_key(key))
        return matches is not None and matches.scores is not None

    def _keep_matches(self, key, docs: list[int], scores: list[float], pinned, notices) -> None:
        """Keep every match of the query of `key` with its score, found by a pass that saw them all (an
        unfiltered first page that skipped nothing: searching._first_page)."""
        matches = MatchSet(doc_numbers(docs), np.asarray(scores, dtype=np.float64), pinned, notices)
        self._query_cache.put(_matches_key(key), matches)

    def _match_all(self, searcher, parsed, scored: bool, budget: float) -> MatchSet:
        """Every match of the query (and its score, if `scored`), within the query's bounds."""
        bounds, deadline = query_bounds.Bounds(), query_bounds.Deadline(budget)
        pinned = self._pin_expansions(parsed, searcher, bounds)
        found = vectorised.all_matches(searcher, pinned, None, deadline) if scored else None
        if found is not None:
            docs, scores = found
        elif scored:
            recorder = MatchRecorder(0, deadline, skip=False)  # every match, scored as TopCollector scores it
            searcher.search_with_collector(pinned, recorder)
            docs, scores = recorder.docs, np.asarray(recorder.scores, dtype=np.float64)
        else:
            docs, scores = list(deadline.until(searcher.docs_for_query(pinned))), None
        deadline.report(bounds)
        return MatchSet(doc_numbers(docs), scores, pinned, tuple(bounds.notices), bounds.count_exact)

    def _allowed(self, searcher, field: str, values) -> np.ndarray:
        """The documents an exact filter allows, kept for this generation: from the field's facet codes when
        it is a facet field and they name every value (one numpy pass; a Whoosh query over an outlet of
        80,000 articles took 40-90 ms), else from the index's postings. Codes cover deleted documents too,
        which no match ever is."""

        def compute():
            by_codes = self._allowed_by_codes(searcher, field, values)
            return allowed_docs(searcher, field, values) if by_codes is None else by_codes

        return self._generation_cached(searcher, "allow", (field, values), compute, most=self.MAX_ALLOWED)

    def _allowed_by_codes(self, searcher, field: str, values) -> np.ndarray | None:
        """Every document (deleted ones included) with any of `values` in a facet field, from its codes; None
        for another kind of field or a value no code names."""
        kind = type(self.schema[field]) if field in self.schema else None
        if kind is not KEYWORD and not (kind is ID and self.schema[field].column_type is not None):
            return None
        pair_docs, codes, _, _ = self._facet_codes(searcher, self._field_facet(field), field)
        known = self._facet_names(field)
        if any(value not in known for value in values):
            return None
        chosen = np.isin(codes, [known[value] for value in values])
        return np.flatnonzero(chosen).astype(np.int32) if pair_docs is None else np.unique(pair_docs[chosen])

    def _segment_ranks(self, searcher, spec: tuple, segment_keys: list) -> list[tuple[int, np.ndarray]]:
        """(offset, each document's place in its segment's (key, number) order) per segment, kept with the
        segment: after a save only its new segment is sorted, where one order over the whole generation sorted
        every document again (150-400 ms at 100,000 articles, on the first sorted refinement after any save)."""
        ranks = []
        for (sub, offset), keys in zip(searcher.leaf_searchers(), segment_keys, strict=True):
            reader = sub.reader()

            def compute(reader=reader, keys=keys):
                return ranks_of(self._segment_order(reader, spec, keys))

            ranks.append((offset, self._segment_cached(reader, "rank", spec, compute)))
        return ranks


def _matches_key(key: tuple) -> tuple:
    """Where a query's matches are kept: its generation, text, spelling and bounds, not its sort or filters."""
    generation, query_string, spelling, _, _, _, limits = key
    return (generation, "matches", query_string, spelling, limits)


def mask_of(docs: np.ndarray, allowed: list[np.ndarray]) -> np.ndarray:
    """The documents in every allowed set (one per facet filter; each set sorted, unique)."""
    mask = np.ones(len(docs), dtype=bool)
    for allow in allowed:
        mask &= np.isin(docs, allow, assume_unique=True)
    return mask


def top_by_rank(docs: np.ndarray, segment_ranks: list, keys, limit: int) -> list[tuple[object, int]]:
    """(sort key, number) of the first `limit` documents (ascending numbers) in a sort's order: each
    segment's first `limit` by its ranks ((offset, ranks) per segment, in (key, number) order within it),
    then those merged by (key, number), as the sorted search orders them."""
    candidates = []
    for offset, ranks in segment_ranks:
        start, end = np.searchsorted(docs, (offset, offset + len(ranks)))
        ours = docs[start:end]
        if len(ours) > limit:
            ours = ours[np.argpartition(ranks[ours - offset], limit)[:limit]]
        candidates.extend(ours.tolist())
    candidates.sort(key=lambda d: (keys[d], d))
    return [(keys[d], d) for d in candidates[:limit]]


def ranks_of(order) -> np.ndarray:
    """Each document's place in its segment's sort order, from that order ((key, local number) pairs)."""
    rank = np.empty(len(order), dtype=np.int32)
    rank[np.fromiter((number for _, number in order), dtype=np.int64, count=len(order))] = np.arange(
        len(order), dtype=np.int32
    )
    return rank


def allowed_docs(searcher, field: str, values) -> np.ndarray:
    """The live documents with any of `values` in `field` (an exact filter), sorted."""
    query = wq.Or([wq.Term(field, value) for value in values])
    return np.fromiter(sorted(query.docs(searcher)), dtype=np.int32)
