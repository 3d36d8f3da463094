"""The one search function: validated parameters in, a page of articles with facets and snippets out.

Both the HTML pages and the JSON API call `search_articles`; nothing here knows about HTTP. Queries
go to the engine through haystack (`raw_search`), in the Lucene-style syntax Whoosh, Solr and
Elasticsearch share: words (all must match), "phrases", OR, NOT/-word, word*, word~, field:value.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass, field

from django.core.paginator import InvalidPage, Page, Paginator
from haystack.inputs import Exact
from haystack.query import SQ, SearchQuerySet

from articles import engine
from articles.highlight import NO_PLAN, query_plan, snippet
from articles.index_state import SearchUnavailable
from articles.models import UNKNOWN_VALUE, Article
from articles.query_bounds import Bounds, IncompleteSearch, bound_text, plain_words

# `mention`: the canonical names of the entities an article names (articles/names/), not a field of
# the article itself; it has no "(unknown)" value.
FACETS = ("outlet", "author", "stance", "year", "mention")
SPELLINGS = ("variants", "exact")
SORTS = ("relevance", "newest", "oldest")
MAX_PAGE_SIZE = 100
# What the archive reads of a result: which article, and its score (haystack's values_list() asks the same);
# everything shown comes from the database.
RESULT_FIELDS = ("id", "django_ct", "django_id", "score")
ALL_MATCHES = 10**9  # the end of a slice that holds every match (more than any archive has)
# What users type for fields -> index field names.
FIELD_ALIASES = {"title": "title", "author": "author", "outlet": "outlet", "by": "author", "source": "outlet"}


@dataclass
class SearchParams:
    q: str = ""
    outlet: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    stance: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    mention: list[str] = field(default_factory=list)
    # variants: names also match their other spellings and aliases (articles/names/expansion.py).
    spelling: str = "variants"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = ""
    page: int = 1
    page_size: int = 20

    @property
    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.q.strip() else "newest")

    def filters(self) -> dict[str, list[str]]:
        return {name: getattr(self, name) for name in FACETS if getattr(self, name)}

    def within_dates(self, first: dt.date, last: dt.date) -> None:
        """Keep the search within first..last (a date page): the reader's own dates only narrow it."""
        self.date_from = max(d for d in (self.date_from, first) if d)
        self.date_to = min(d for d in (self.date_to, last) if d)


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool = False


@dataclass
class Hit:
    article: Article
    snippet: str
    score: float | None = None


@dataclass
class UnknownValue:
    """A filter value no article in the archive has (a typo, a year with no articles), with the
    nearest value that does exist, if one is close."""

    name: str
    value: str
    suggestion: str | None = None

    @property
    def notice(self) -> str:
        return f"No article in the archive has {self.name} “{self.value}”."


@dataclass
class SearchResults:
    params: SearchParams
    count: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    message: str = ""  # shown to the user when the query could not be taken as written
    query_used: str = ""
    unknown_values: list[UnknownValue] = field(default_factory=list)
    page: Page | None = None  # None when no search was run
    count_exact: bool = True  # False: the search stopped early (query_bounds) and count is a lower bound
    # Other spellings and names of the query's words found in this page's results (Tokayev, Токаев).
    also_matched: list[str] = field(default_factory=list)
    # What this search would use and the engine lacks (engine.limit_search), each with the reader's notice.
    unavailable: list[engine.Unavailable] = field(default_factory=list)
    # Only the first page was ranked (first_page_only): facets are empty and follow with the exact count.
    deferred: bool = False
    # While deferred and the total is not known: the page says "more than N" (N below the matches seen).
    count_more_than: int | None = None

    def lacks(self, feature: str) -> bool:
        return any(u.feature == feature for u in self.unavailable)

    @property
    def unavailable_notice(self) -> str:
        """The page's one notice of what the engine could not do (facets are explained where they would be)."""
        return " ".join(u.message for u in self.unavailable if u.feature != "facets")

    @classmethod
    def nothing(cls, params: SearchParams, message: str = "", query: str = "", unknown=()) -> SearchResults:
        """No search was run: no count, no hits, no facets."""
        return cls(params, 0, [], {name: [] for name in FACETS}, None, message, query, list(unknown))

    @property
    def num_pages(self) -> int:
        return self.page.paginator.num_pages if self.page else 1

    @property
    def has_next(self) -> bool:
        return bool(self.page and self.page.has_next())

    @property
    def has_previous(self) -> bool:
        return bool(self.page and self.page.has_previous())


@dataclass
class Run:
    """One run of a search through haystack: the requested slice of results, the total, the facet counts
    and what the engine said about it (query bounds; the highlight plan, from engines that give one)."""

    results: list
    count: int
    facets: dict
    bounds: Bounds | None = None
    plan: object | None = None
    # {"count_known": bool} when only the first page was ranked: count is then the matches seen, no facets.
    first_page: dict | None = None


def run_once(
    sqs: SearchQuerySet, start: int, end: int, *, with_plan: bool = False, first_page_only: bool = False
) -> Run:
    """Run the query once for results start..end, its count and its facets (haystack's SearchQuery.run;
    SearchQuerySet would run it once for the count, again for the slice, again for the facets).
    `first_page_only`: where the engine can, rank only the slice of a query it has not kept (see
    articles/progressive.py); Run.first_page says whether it did."""
    query = sqs.query._clone()
    query.fields = list(RESULT_FIELDS)
    if with_plan and engine.plans_in_search(query):
        query.want_highlight_plan()
    if first_page_only and engine.ranks_first_page_alone(query):
        query.want_first_page_only()
    offsets = engine.provides("offsets", query.backend)
    query.set_limits(start if offsets else 0, end)
    query.run()
    results = query.get_results()
    return Run(
        results if offsets else list(results)[start:end],  # an engine without offsets answers from the first
        query.get_count(),
        query.get_facet_counts() or {},
        getattr(query, "bounds", None),
        getattr(query, "plan", None),
        getattr(query, "first_page", None),
    )


class RunWindow:
    """A run as Django's Paginator sees it: as long as its count, its one slice the results it holds."""

    def __init__(self, run: Run, start: int):
        self.run, self.start = run, start

    def __len__(self) -> int:
        return self.run.count

    def __getitem__(self, index: slice) -> list:
        start, stop, _ = index.indices(self.run.count)
        if start != self.start:
            raise IndexError(f"this run holds results from {self.start}, not {start}")
        return list(self.run.results[: max(stop - start, 0)])


def first_index(params: SearchParams) -> int:
    """The index of the page's first result; InvalidPage for a page before the first or past any archive."""
    if params.page < 1 or (params.page - 1) * params.page_size >= ALL_MATCHES:
        raise InvalidPage(f"Page {params.page} does not exist.")
    return (params.page - 1) * params.page_size


def page_of(run: Run, params: SearchParams) -> Page:
    """The requested page of a run (page 1 of nothing exists); InvalidPage for one past the last."""
    try:
        return Paginator(RunWindow(run, first_index(params)), params.page_size).page(params.page)
    except InvalidPage:
        raise InvalidPage(f"Page {params.page} does not exist.") from None


def normalize_query(q: str, bounds: Bounds | None = None) -> str:
    """The query within its bounds (query_bounds, which notes what it changed in `bounds`), with friendly
    field names (by:, source:) mapped to index fields."""
    q = bound_text(q, bounds if bounds is not None else Bounds())

    def repl(m):
        return FIELD_ALIASES[m.group(1).lower()] + ":"

    return re.sub(r"\b(title|author|outlet|by|source):", repl, q, flags=re.IGNORECASE)


def base_queryset(params: SearchParams, query: str, *, with_facets: bool = True) -> SearchQuerySet:
    sqs = SearchQuerySet().models(Article)
    if engine.has_spelling_modes(sqs.query):
        sqs.query.set_spelling(params.spelling)
    sqs = sqs.raw_search(query) if query else sqs.all()
    for name, values in params.filters().items():
        # OR within one facet, AND across facets. Engines that take exact filters as terms get them so
        # (any value is safe); others get a quoted clause per value.
        if engine.has_exact_filters(sqs.query):
            sqs = sqs._clone()
            sqs.query.add_exact_filter(f"{name}_exact", values)
            continue
        sqs = sqs.filter(functools.reduce(operator.or_, (SQ(**{f"{name}_exact": Exact(value)}) for value in values)))
    if params.date_from:
        sqs = sqs.filter(published__gte=params.date_from)
    if params.date_to:
        # The whole known span must end by then: "2022" is not claimed for January 2022.
        sqs = sqs.filter(published_end__lte=params.date_to)
    sort = params.effective_sort
    if sort == "newest":
        sqs = sqs.order_by("-date_desc", "title_sort")
    elif sort == "oldest":
        sqs = sqs.order_by("date_asc", "title_sort")
    if with_facets:  # counting facets visits every match; skip it when nobody shows them
        for name in FACETS:
            sqs = sqs.facet(name, **engine.facet_options(sqs.query.backend))
    return sqs


def search_articles(
    params: SearchParams, *, with_facets: bool = True, with_snippets: bool = True, first_page_only: bool = False
) -> SearchResults:
    """Run a search once; raises InvalidPage for a page before the first or past the end (the caller maps
    it to 404/400).

    `first_page_only`: a query by relevance that the engine has not answered yet may come back `deferred`,
    its page ranked but its exact count and facets left to a second call without it (articles/progressive.py).
    Only relevance: a sort by date must read every match's key anyway."""
    searched, unavailable = engine.limit_search(params, with_facets=with_facets, with_snippets=with_snippets)
    if searched is None:  # the engine cannot run it as asked: say why, and count nothing
        nothing = SearchResults.nothing(params)
        nothing.unavailable = unavailable
        return nothing
    start = first_index(searched)
    first_page_only = first_page_only and bool(searched.q.strip()) and searched.effective_sort == "relevance"
    end = start + searched.page_size
    run, query, bounds = _run(
        searched, start, end, with_facets, with_plan=with_snippets, first_page_only=first_page_only
    )
    if run is None:
        return SearchResults.nothing(params, " ".join(bounds.notices), query, unknown_filter_values(params))

    page = page_of(run, searched)
    articles = Article.objects.for_listing(tags=False).defer("raw_bytes", "raw_text").in_bulk([r.pk for r in page])
    plan = NO_PLAN
    if query and with_snippets:
        plan = run.plan if run.plan is not None else query_plan(query, params.spelling)
    hits = []
    by_relevance = params.effective_sort == "relevance"
    for result in page:
        article = articles.get(int(result.pk))
        if article is None:  # indexed but deleted a moment ago
            continue
        score = float(result.score) if by_relevance and result.score is not None else None  # else a sort key
        hits.append(Hit(article, snippet(article.body, plan) if with_snippets else "", score))

    facets = {}
    deferred = run.first_page is not None
    if with_facets and not deferred:
        counts = run.facets.get("fields", {})
        for name in FACETS:
            chosen = set(getattr(params, name))
            values = [FacetValue(v, c, v in chosen) for v, c in counts.get(name, []) if v not in (None, "")]
            if name == "year":
                values.sort(key=lambda f: f.value, reverse=True)
            values.sort(key=lambda f: f.value == UNKNOWN_VALUE)  # "not known" last, whatever its count
            facets[name] = values

    suggestion = None
    if run.count == 0 and query:
        suggestion = spelling_suggestion(query)
    unknown = unknown_filter_values(params, facets if with_facets and not deferred else None)
    also = also_matched(query, plan, [h.article for h in hits]) if plan.keys or plan.key_phrases else []
    message = " ".join(bounds.notices)
    return SearchResults(
        params,
        run.count,
        hits,
        facets,
        suggestion,
        message,
        query,
        unknown,
        page,
        count_exact=bounds.count_exact,
        also_matched=also,
        unavailable=unavailable,
        deferred=deferred,
        count_more_than=None if not deferred or run.first_page["count_known"] else more_than(run.count),
    )


def more_than(seen: int) -> int:
    """The round number a count of at least `seen` matches is "more than": the largest d·10^k (d = 1..9) below
    `seen` (1,234 -> 1,000; 100 -> 90), as Elasticsearch says "more than 10,000". Never a number the total
    might equal."""
    if seen <= 1:
        return 0
    scale = 10 ** (len(str(seen - 1)) - 1)
    return (seen - 1) // scale * scale


ALSO_MATCHED_MAX = 12


def also_matched(query: str, plan, articles) -> list[str]:
    """The spellings and names the variant matching found in these articles' titles and bodies, other
    than the words of the query as typed (case, accents and endings aside), most frequent first."""
    from collections import Counter

    from articles.highlight import SNIPPET_SCAN_CHARS, indexed_term, key_spans
    from articles.names.variants import fold

    typed_words = re.findall(r"\w+", query)
    typed = {fold(w) for w in typed_words} | {indexed_term(w) for w in typed_words}
    typed_text = " ".join(fold(w) for w in typed_words)
    found: Counter = Counter()
    for article in articles:
        text = f"{article.title}\n\n{article.body[:SNIPPET_SCAN_CHARS]}"
        for start, end in key_spans(text, plan):
            form = " ".join(text[start:end].split())
            words = re.findall(r"\w+", form)
            folded = " ".join(fold(w) for w in words)
            if len(words) == 1 and (folded in typed or indexed_term(words[0]) in typed):
                continue
            if len(words) > 1 and folded in typed_text:
                continue
            found[form] += 1
    by_fold: dict[str, str] = {}
    for form, _ in found.most_common():
        by_fold.setdefault(" ".join(fold(w) for w in re.findall(r"\w+", form)), form)
    return list(by_fold.values())[:ALSO_MATCHED_MAX]


def unknown_filter_values(
    params: SearchParams, facets: dict[str, list[FacetValue]] | None = None
) -> list[UnknownValue]:
    """The filter values that no article in the archive has, each with its nearest real value.

    A filter value that matches nothing correctly gives no results, but the researcher must be able to
    tell "no outlet named 'Al Jazeeera'" from "no article of Al Jazeera matches". `facets` (the search's
    own counts) saves asking the index when every chosen value already shows up in them.
    """
    chosen = params.filters()
    if not engine.provides("facets"):  # no counts to tell a value no article has from one this search excludes
        return []
    if facets is not None:
        chosen = {
            name: missing
            for name, values in chosen.items()
            if (missing := [v for v in values if v not in {f.value for f in facets.get(name, [])}])
        }
    if not chosen:
        return []
    # The archive's own values: its facet counts, browsing everything (cached per index segment), one hit
    # long. (SearchQuerySet.facet_counts() asks for every result: 7.5 s at 10,000 articles reading each
    # one's stored fields, on every filtered search with no hits.)
    counts = run_once(base_queryset(SearchParams(), ""), 0, 1).facets.get("fields", {})
    unknown = []
    for name, values in chosen.items():
        known = [value for value, _ in counts.get(name, []) if value not in (None, "")]
        for value in values:
            if value not in known:
                unknown.append(UnknownValue(name, value, nearest_value(value, known)))
    return unknown


def nearest_value(value: str, known: list[str]) -> str | None:
    """The known value closest to `value` (case and surrounding space ignored), or None if none is close."""
    import difflib

    by_folded = {k.casefold(): k for k in known}
    found = difflib.get_close_matches(value.strip().casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def _run(
    params: SearchParams, start: int, end: int, with_facets: bool, *, with_plan: bool = False, first_page_only=False
):
    """(run, query used, bounds with the notices for the reader); run None when nothing could be searched.

    A query the engine refuses is run again as its plain words, with a notice saying so."""
    bounds = Bounds()
    query = normalize_query(params.q, bounds)
    with_plan = with_plan and bool(query)
    try:
        sqs = base_queryset(params, query, with_facets=with_facets)
        run = run_once(sqs, start, end, with_plan=with_plan, first_page_only=first_page_only)
        bounds.add(unknown_fields_notice(query))
    except SearchUnavailable:  # the index cannot answer: say so (503), never "your query could not be read"
        raise
    except Exception:  # noqa: BLE001 - the engine's parser refused the syntax: fall back to the plain words
        query, message = plain_words(query), unreadable_notice(query)
        bounds.add(message)
        try:
            sqs = base_queryset(params, query, with_facets=with_facets)
            run = run_once(sqs, start, end, with_plan=with_plan and bool(query), first_page_only=first_page_only)
        except SearchUnavailable:
            raise
        except Exception:  # even the plain words failed (a filter value the engine cannot take)
            bounds.add("Your query or filters could not be read; nothing was searched.")
            return None, query, bounds
    bounds.extend(run.bounds)
    bounds.notices = [n for n in bounds.notices if n]
    return run, query, bounds


# Query parts a user can write on their own: field:value (quoted, a range or a word), a phrase, a range.
QUERY_PART = re.compile(r'\w+:(?:"[^"]*"?|\[[^\]]*\]?|\{[^}]*\}?|\S+)|"[^"]*"?|\[[^\]]*\]?|\{[^}]*\}?')
# Fields a query may name (README, "Query language"), beyond the aliases: the index's own text fields.
QUERY_FIELDS = {*FIELD_ALIASES.values(), "text", "stance", "year", "tag"}


def unreadable_notice(query: str) -> str:
    """What to tell the user when the engine refused a query: the part it cannot read, if one part alone
    is refused (a date range with a word in it, say), in their words, never an exception's name."""
    for part in QUERY_PART.findall(query):
        try:
            SearchQuerySet().models(Article).raw_search(part).count()
        except SearchUnavailable:
            raise
        except Exception:  # noqa: BLE001 - this is the part the engine refuses
            return f"“{part}” could not be read as a search; showing articles with the words of your query instead."
    return "Your query could not be read as written; showing articles with its words instead."


def unknown_fields_notice(query: str) -> str:
    """`body:Tokayev` is no field search: Whoosh reads it as the words "body" and "Tokayev" (and an internal
    field such as `published:x` as nothing) and may find nothing. Say so rather than let the count look
    like an answer."""
    outside_phrases = re.sub(r'"[^"]*"?', " ", query)
    named = re.finditer(r"(?<![\w:/])([^\W\d_]\w*):(?=[^\s:/])", outside_phrases)  # not 13:15, http://, "a: b"
    unknown = sorted({m.group(1) for m in named} - QUERY_FIELDS)
    if not unknown:
        return ""
    names = ", ".join(f"“{name}:”" for name in unknown)
    what, of = ("is not a field", "it") if len(unknown) == 1 else ("are not fields", "them")
    return (
        f"{names} {what} you can search, so these results are not a search of {of}. Fields: title:, author:, outlet:."
    )


@dataclass
class Matches:
    """Every article a search matches, as ids in the search's order (not one page)."""

    params: SearchParams
    ids: list[int]
    message: str = ""
    query_used: str = ""

    @property
    def count(self) -> int:
        return len(self.ids)


def matching_ids(params: SearchParams) -> Matches:
    """All matches of a search (same query language, filters and sort as `search_articles`), for exports
    and analysis tools that must see every match, not a page. Page and page size are ignored.

    Raises IncompleteSearch when the search stopped early (query_bounds), or the engine could not run it as
    asked (a filter or query syntax it lacks, engine.limit_search): a partial or other list would pass for
    the whole result set.
    """
    searched, unavailable = engine.limit_search(params, with_facets=False, with_snippets=False)
    if refused := [u.message for u in unavailable if u.feature in ("filters", "query_language", "fuzzy")]:
        raise IncompleteSearch("This tool needs every match of the search as written: " + " ".join(refused))
    told = [u.message for u in unavailable if u.feature == "sorting"]
    run, query, bounds = _run(searched, 0, ALL_MATCHES, with_facets=False)
    ids = [int(r.pk) for r in run.results] if run is not None else []
    if not bounds.count_exact:
        raise IncompleteSearch(
            "This search could not be completed within its bounds, and this tool needs every match: "
            + " ".join(bounds.notices)
        )
    return Matches(params, ids, " ".join(bounds.notices + told), query)


def spelling_suggestion(query: str) -> str | None:
    """Only asked when nothing matched: corrections are costly and noise when results exist."""
    sqs = SearchQuerySet().models(Article)
    backend = sqs.query.backend
    if engine.suggests_spelling(backend):
        return backend.create_spelling_suggestion(query) or None
    return sqs.spelling_suggestion(query) or None


def more_like_this(article: Article, limit: int = 5) -> list[Article]:
    results = list(SearchQuerySet().more_like_this(article)[:limit])
    found = Article.objects.for_listing().defer("raw_bytes", "raw_text").in_bulk([int(r.pk) for r in results])
    return [found[int(r.pk)] for r in results if int(r.pk) in found and int(r.pk) != article.pk]


def warm_up() -> None:
    """Open the index and fill its per-segment caches (facet values, sort orders) before the first request.

    A new worker process otherwise pays for them in its first searches: 1-2 s at 100,000 articles. Any
    failure (no database yet, no index) is logged, never raised: serving must start regardless.
    """
    import logging

    try:
        search_articles(SearchParams(q=""))  # facets of everything, newest first
        search_articles(SearchParams(q="", sort="oldest", page_size=1))
    except Exception:  # noqa: BLE001 - see docstring
        logging.getLogger(__name__).warning("search warm-up failed; the first searches will be slower", exc_info=True)
