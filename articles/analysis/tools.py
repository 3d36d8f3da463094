"""Each tool run from a query string: parameters read and checked, the tool run. Shared by the pages
(articles.analysis.views) and the API (articles.analysis.api), so both always agree."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

from articles.analysis import compare as compare_mod
from articles.analysis import concordance as concordance_mod
from articles.analysis.params import choice, number, prefixed, search_params
from articles.analysis.timeline import Timeline, timeline
from articles.analysis.trends import BYS, SPLITS, Trends, trends
from articles.forms import BadParameter
from articles.search import SearchParams

MAX_LINES_PAGE = 500


@dataclass
class ConcordanceRun:
    params: SearchParams
    kw: str
    sort: str
    page: int
    page_size: int
    result: concordance_mod.Concordance


def run_concordance(query: QueryDict) -> ConcordanceRun:
    params = search_params(query)
    kw = query.get("kw", "")[:500]
    if not params.q.strip() and not kw.strip():
        raise BadParameter("The concordance needs words to look for: give a query (q) or a keyword (kw).")
    sort = query.get("sort", "")
    if sort and sort not in concordance_mod.SORTS + ("relevance", "newest", "oldest"):
        raise BadParameter(f"sort must be one of {', '.join(concordance_mod.SORTS)} (or a search sort)")
    sort = sort if sort in concordance_mod.SORTS else ""
    context = number(query, "context", concordance_mod.DEFAULT_CONTEXT, 1, concordance_mod.MAX_CONTEXT)
    page = number(query, "page", 1, 1, 10**6)
    page_size = number(query, "page_size", 100, 1, MAX_LINES_PAGE)
    result = concordance_mod.concordance(params, kw=kw, context=context)
    return ConcordanceRun(params, kw, sort, page, page_size, result)


def run_trends(query: QueryDict) -> Trends:
    params = search_params(query)
    by = choice(query, "by", BYS, "month")
    split = choice(query, "split", SPLITS, "none")
    return trends(params, by=by, split=split)


@dataclass
class CompareSide:
    name: str
    query: QueryDict  # its search parameters, without the prefix
    params: SearchParams


@dataclass
class CompareRun:
    a_set: CompareSide
    b_set: CompareSide
    rank: str
    top: int
    show_stop: bool
    result: compare_mod.Comparison

    @property
    def notice(self) -> str:
        notes = [f"Set {s.name}: {s.reading.notice}" for s in (self.result.a, self.result.b) if s.reading.truncated]
        return " ".join(notes)


def _side(query: QueryDict, name: str) -> CompareSide:
    own = prefixed(query, name.lower() + ".")
    try:
        return CompareSide(name, own, search_params(own))
    except BadParameter as exc:
        raise BadParameter(f"Set {name}: {exc}") from None


def run_compare(query: QueryDict) -> CompareRun:
    a_side, b_side = _side(query, "A"), _side(query, "B")
    ngram = number(query, "ngram", 1, 1, 2)
    alpha0 = number(query, "alpha0", compare_mod.DEFAULT_ALPHA0, 1.0, 1e9, float)
    min_count = number(query, "min", compare_mod.DEFAULT_MIN_COUNT, 1, 10**6)
    rank = choice(query, "rank", compare_mod.RANKS, "logodds")
    top = number(query, "top", compare_mod.DEFAULT_TOP, 1, 500)
    show_stop = query.get("stopwords", "") in ("show", "1", "true", "on")
    result = compare_mod.compare(a_side.params, b_side.params, ngram=ngram, alpha0=alpha0, min_count=min_count)
    return CompareRun(a_side, b_side, rank, top, show_stop, result)


def run_timeline(query: QueryDict) -> Timeline:
    return timeline(search_params(query))
