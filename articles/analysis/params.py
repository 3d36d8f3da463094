"""The analysis tools' parameters: the ordinary search parameters plus each tool's own.

Every tool takes what the search takes (q, outlet, author, stance, year, from, to, sort), read by the
search's own `parse_params`; a tool's own parameters are taken out first. Compare takes two searches,
written with the prefixes `a.` and `b.` (`a.outlet=PolitNavigator&b.outlet=Al+Jazeera`).
"""

from __future__ import annotations

from django.http import QueryDict

from articles.forms import BadParameter, parse_params
from articles.search import SORTS as SEARCH_SORTS
from articles.search import SearchParams

SEARCH_KEYS = ("q", "outlet", "author", "stance", "year", "from", "to", "mention", "spelling", "sort")


def search_part(query: QueryDict) -> QueryDict:
    """Only the search parameters of a query string (tool options and paging dropped)."""
    out = QueryDict(mutable=True)
    for key in SEARCH_KEYS:
        values = [v for v in query.getlist(key) if v != ""]
        if key == "sort":
            values = [v for v in values if v in SEARCH_SORTS]
        if values:
            out.setlist(key, values)
    return out


def search_params(query: QueryDict) -> SearchParams:
    """The search a tool runs; BadParameter on anything malformed."""
    return parse_params(search_part(query))


def prefixed(query: QueryDict, prefix: str) -> QueryDict:
    """`a.outlet=X&a.q=Y` -> `outlet=X&q=Y` for prefix "a."."""
    out = QueryDict(mutable=True)
    for key in query:
        if key.startswith(prefix):
            out.setlist(key[len(prefix) :], query.getlist(key))
    return out


def with_prefix(query: QueryDict, prefix: str) -> QueryDict:
    out = QueryDict(mutable=True)
    for key in query:
        out.setlist(prefix + key, query.getlist(key))
    return out


def choice(query: QueryDict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = query.get(name, "") or default
    if value not in choices:
        raise BadParameter(f"{name} must be one of {', '.join(choices)}, not {value[:40]!r}")
    return value


def number(query: QueryDict, name: str, default, low, high, kind=int):
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}")
    return value
