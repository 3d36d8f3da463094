"""The one search function: validated parameters in, a page of articles with facets and snippets out.

Both the HTML pages and the JSON API call `search_articles`; nothing here knows about HTTP. Queries
go to the engine through haystack (`raw_search`), in the Lucene-style syntax Whoosh, Solr and
Elasticsearch share: words (all must match), "phrases", OR, NOT/-word, word*, word~, field:value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.paginator import InvalidPage
from haystack.inputs import Exact
from haystack.query import SearchQuerySet

from articles.highlight import query_terms, snippet
from articles.models import UNKNOWN_VALUE, Article

FACETS = ("outlet", "author", "stance", "year")
SORTS = ("relevance", "newest", "oldest")
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 500
# What users type for fields -> index field names.
FIELD_ALIASES = {"title": "title", "author": "author", "outlet": "outlet", "by": "author", "source": "outlet"}


@dataclass
class SearchParams:
    q: str = ""
    outlet: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    stance: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
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
class SearchResults:
    params: SearchParams
    count: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    message: str = ""  # shown to the user when the query could not be taken as written
    query_used: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.params.page_size))

    @property
    def has_next(self) -> bool:
        return self.params.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.params.page > 1


def normalize_query(q: str) -> str:
    """Map friendly field names (by:, source:) to index fields and tidy whitespace."""
    q = q.replace("\x00", " ").strip()[:MAX_QUERY_LENGTH]

    def repl(m):
        return FIELD_ALIASES[m.group(1).lower()] + ":"

    return re.sub(r"\b(title|author|outlet|by|source):", repl, q, flags=re.IGNORECASE)


def plain_words(q: str) -> str:
    """The best-effort fallback for a query the parser cannot take: its words, each quoted."""
    words = re.findall(r"\w+", q)
    return " ".join(f'"{w}"' for w in words)


def base_queryset(params: SearchParams, query: str, *, with_facets: bool = True) -> SearchQuerySet:
    sqs = SearchQuerySet().models(Article)
    sqs = sqs.raw_search(query) if query else sqs.all()
    for name, values in params.filters().items():
        # OR within one facet, AND across facets. Engines that take exact filters as terms get them so
        # (any value is safe); others get a quoted clause per value.
        if hasattr(sqs.query, "add_exact_filter"):
            sqs = sqs._clone()
            sqs.query.add_exact_filter(f"{name}_exact", values)
            continue
        clause = None
        for value in values:
            q_obj = _exact(f"{name}_exact", value)
            clause = q_obj if clause is None else clause | q_obj
        sqs = sqs.filter(clause)
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
            sqs = sqs.facet(name, limit=-1)
    return sqs


def _exact(field_name: str, value: str):
    from haystack.query import SQ

    return SQ(**{field_name: Exact(value)})


def search_articles(params: SearchParams, *, with_facets: bool = True, with_snippets: bool = True) -> SearchResults:
    """Run a search; raises InvalidPage for a page past the end (the caller maps it to 404/400)."""
    sqs, count, query, message = _counted_queryset(params, with_facets=with_facets)
    if sqs is None:
        return SearchResults(params, 0, [], {name: [] for name in FACETS}, None, message, query)

    if params.page < 1 or (params.page - 1) * params.page_size >= max(count, 1):
        raise InvalidPage(f"Page {params.page} does not exist.")

    start = (params.page - 1) * params.page_size
    page = list(sqs[start : start + params.page_size])
    articles = Article.objects.for_listing().defer("raw_bytes", "raw_text").in_bulk([r.pk for r in page])
    terms = query_terms(query) if query and with_snippets else set()
    hits = []
    by_relevance = params.effective_sort == "relevance"
    for result in page:
        article = articles.get(int(result.pk))
        if article is None:  # indexed but deleted a moment ago
            continue
        score = float(result.score) if by_relevance and result.score is not None else None  # else a sort key
        hits.append(Hit(article, snippet(article.body, terms) if with_snippets else "", score))

    facets = {}
    if with_facets:
        counts = sqs.facet_counts().get("fields", {})
        for name in FACETS:
            chosen = set(getattr(params, name))
            values = [FacetValue(v, c, v in chosen) for v, c in counts.get(name, []) if v not in (None, "")]
            if name == "year":
                values.sort(key=lambda f: f.value, reverse=True)
            values.sort(key=lambda f: f.value == UNKNOWN_VALUE)  # "not known" last, whatever its count
            facets[name] = values

    suggestion = None
    if count == 0 and query:
        suggestion = spelling_suggestion(sqs, query)
    return SearchResults(params, count, hits, facets, suggestion, message, query)


def _counted_queryset(params: SearchParams, *, with_facets: bool):
    """(queryset, count, query used, message); queryset None when nothing could be searched."""
    query = normalize_query(params.q)
    sqs = base_queryset(params, query, with_facets=with_facets)
    try:
        return sqs, sqs.count(), query, ""
    except Exception as exc:  # the engine's parser refused the syntax: fall back to the plain words
        message = f"Your query could not be read as written ({type(exc).__name__}); showing results for its words."
        query = plain_words(query)
        sqs = base_queryset(params, query, with_facets=with_facets)
        try:
            return sqs, sqs.count(), query, message
        except Exception:  # even the plain words failed (a filter value the engine cannot take)
            return None, 0, query, "Your query or filters could not be read; nothing was searched."


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
    and analysis tools that must see every match, not a page. Page and page size are ignored."""
    sqs, count, query, message = _counted_queryset(params, with_facets=False)
    if sqs is None or count == 0:
        return Matches(params, [], message, query)
    return Matches(params, [int(r.pk) for r in sqs[0:count]], message, query)


def spelling_suggestion(sqs: SearchQuerySet, query: str) -> str | None:
    """Only asked when nothing matched: corrections are costly and noise when results exist."""
    backend = sqs.query.backend
    if hasattr(backend, "create_spelling_suggestion"):
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
