"""Links that change a search: filter chips, facet values, sort, pages, a nearer filter value, tool options.

Each starts from the query string being shown and changes one thing; a change that makes another result
set also drops `page` (page 3 of another search is arbitrary). `search_query` writes a search back as a
query string, a page's presets included, for exports, the analysis tools and "reproduce" links.
"""

from __future__ import annotations

import functools
from urllib.parse import quote_plus

from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode

from articles.models import UNKNOWN_VALUE
from articles.search import FACETS, SearchParams

# How each filter's UNKNOWN_VALUE reads on the pages (the API and URLs carry the value itself).
UNKNOWN_LABELS = {
    "outlet": "Unknown outlet",
    "author": "No author named",
    "stance": "Not coded",
    "year": "Date unknown",
}
SORT_LABELS = (("relevance", "Relevance"), ("newest", "Newest"), ("oldest", "Oldest"))


def passage_url(article_id: int, q: str = "", spelling: str = "variants", paragraph: int | None = None) -> str:
    """An article page at one paragraph, marking what `q` matches there with the search's spelling choice."""
    query = {"q": q} if q.strip() else {}
    if query and spelling == "exact":
        query["spelling"] = "exact"
    url = reverse("articles:detail", args=[article_id]) + ("?" + urlencode(query) if query else "")
    return url + (f"#p{paragraph}" if paragraph else "")


def facet_label(name: str, value: str) -> str:
    return UNKNOWN_LABELS.get(name, value) if value == UNKNOWN_VALUE else value


def unknown_url(name: str) -> str:
    """The archive filtered to articles where `name` (outlet, author, stance, year) is not known."""
    return reverse("articles:browse") + "?" + urlencode({name: UNKNOWN_VALUE})


def changed(query: QueryDict, **changes) -> str:
    """`?` and `query` changed: None or "" removes a key, a list sets its values, anything else its one value.

    The same string as `query.copy()` changed and `.urlencode()`d (keys keep their places, new ones go last),
    built from pairs encoded once: a results page makes a link for each of a few hundred facet values."""
    pairs = []
    for key, values in query.lists():
        pairs.extend(_pair(key, v) for v in (_values(changes[key]) if key in changes else values))
    for key, value in changes.items():
        if key not in query:
            pairs.extend(_pair(key, v) for v in _values(value))
    return "?" + "&".join(pairs)


def _values(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=4096)
def _pair(key: str, value) -> str:
    """`key=value` as QueryDict.urlencode writes it (UTF-8, quote_plus)."""
    return quote_plus(key.encode()) + "=" + quote_plus(str(value).encode())


def without(query: QueryDict, name: str, value: str | None = None) -> str:
    """The search without filter `name` (or only its `value`), from its first page."""
    values = None if value is None else [v for v in query.getlist(name) if v != value]
    return changed(query, page=None, **{name: values})


def chips(query: QueryDict, params: SearchParams, preset: dict) -> list[dict]:
    """One removable chip per filter value and date the reader chose (a page's own preset has none)."""
    out = [
        {"label": f"{name}: {facet_label(name, value)}", "url": without(query, name, value)}
        for name in FACETS
        for value in getattr(params, name)
        if preset.get(name) != value
    ]
    out += [{"label": f"{key}: {query[key]}", "url": without(query, key)} for key in ("from", "to") if query.get(key)]
    return out


def facet_links(query: QueryDict, facets: dict, preset: dict) -> dict[str, list[dict]]:
    """Each facet value: selecting it adds it to its filter (any of them), a selected one removes it."""
    out = {}
    for name, values in facets.items():
        if name in preset:
            continue
        out[name] = [
            {
                "value": fv.value,
                "label": facet_label(name, fv.value),
                "count": fv.count,
                "selected": fv.selected,
                "url": without(query, name, fv.value)
                if fv.selected
                else changed(query, page=None, **{name: [*query.getlist(name), fv.value]}),
            }
            for fv in values
        ]
    return out


def unknown_value_links(query: QueryDict, unknown_values, preset: dict) -> list[dict]:
    """Filter values no article has, each with a link that swaps in the nearest real value."""
    out = []
    for unknown in unknown_values:
        if preset.get(unknown.name) == unknown.value:
            continue
        swapped = [unknown.suggestion if v == unknown.value else v for v in query.getlist(unknown.name)]
        url = changed(query, page=None, **{unknown.name: swapped}) if unknown.suggestion else None
        out.append({"notice": unknown.notice, "suggestion": unknown.suggestion, "url": url})
    return out


def sort_links(query: QueryDict, params: SearchParams) -> list[dict]:
    """The sorts that apply (relevance needs a query), the one in effect marked active."""
    return [
        {"label": label, "url": changed(query, page=None, sort=value), "active": params.effective_sort == value}
        for value, label in SORT_LABELS
        if value != "relevance" or params.q.strip()
    ]


def page_links(query: QueryDict, results) -> dict:
    """Previous, next, and up to three pages either side of the one shown."""
    p = results.params.page
    return {
        "previous": changed(query, page=p - 1) if results.has_previous else None,
        "next": changed(query, page=p + 1) if results.has_next else None,
        "pages": [(n, changed(query, page=n)) for n in range(max(1, p - 3), min(results.num_pages, p + 3) + 1)],
    }


def search_query(params: SearchParams) -> QueryDict:
    """The query string `forms.parse_params` reads back into `params` (page and page size left out)."""
    out = QueryDict(mutable=True)
    if params.q:
        out["q"] = params.q
    for name in FACETS:
        if getattr(params, name):
            out.setlist(name, list(getattr(params, name)))
    if params.date_from:
        out["from"] = params.date_from.isoformat()
    if params.date_to:
        out["to"] = params.date_to.isoformat()
    if params.sort:
        out["sort"] = params.sort
    if params.spelling == "exact":
        out["spelling"] = "exact"
    return out
