"""What the search engine can do beyond haystack's API, asked in one place.

kzarchive's Whoosh backend (articles/whoosh/) adds a cross-process write lock, bulk sessions,
segment merges, spelling modes, exact filters and highlight plans. Another haystack engine (Solr,
Elasticsearch, haystack's `simple`) has none of them: every caller asks here and falls back to haystack's
own way, so the code paths an engine takes can be read off this one file.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass, replace


def get_backend(using: str = "default"):
    from haystack import connections

    return connections[using].get_backend()


def _has(attribute: str, doc: str):
    """A check that a backend or query has `attribute`, one kzarchive's Whoosh engine adds; `doc` says what it
    means that it has."""

    def check(obj) -> bool:
        return hasattr(obj, attribute)

    check.__doc__ = doc
    return check


# --- writing ----------------------------------------------------------------------------------------------
def write_lock(backend):
    """The index's write lock, held across "read the database, then write the index" (a no-op where the
    engine serialises writes itself, as search servers do)."""
    return getattr(backend, "write_lock", nullcontext)()


def defer_to_bulk(backend, ids) -> set:
    """The ids to index now: a bulk session running elsewhere takes the others when it commits."""
    defer = getattr(backend, "defer_to_bulk", None)
    if defer is None:
        return set(ids)
    return {int(i) for i in defer(ids)}


supports_bulk_session = _has("bulk_session", "One writer and one commit for a whole update_index / rebuild_index run.")
merges_segments = _has(
    "merge_segments", "The index is made of segments that `merge_index` merges (a search server merges by itself)."
)
creates_index = _has("create_index", "The index is made by the application (`migrate` makes one for an empty archive).")


def keeps_index(backend) -> bool:
    """The engine keeps an index of its own to compare with the database (haystack's `simple` searches the
    database itself: its update, remove and clear do nothing)."""
    from haystack.backends.simple_backend import SimpleSearchBackend

    return not isinstance(backend, SimpleSearchBackend)


def reads_stored_fields(backend) -> bool:
    """The index can be read whole, every stored field (check_index compares them all); other engines are
    compared on ids and content hashes only."""
    from haystack.backends.whoosh_backend import WhooshSearchBackend

    return isinstance(backend, WhooshSearchBackend)


# --- searching --------------------------------------------------------------------------------------------
has_spelling_modes = _has("set_spelling", "The query takes `spelling=variants|exact` (articles/names/expansion.py).")
has_exact_filters = _has("add_exact_filter", "Exact filters reach the engine as terms, never as query text.")
plans_in_search = _has(
    "want_highlight_plan",
    "The search itself returns what it marks in text (articles.highlight.QueryPlan), from the same run.",
)
ranks_first_page_alone = _has(
    "want_first_page_only",
    "The search can rank a new query's first page without its exact count and facets, which a second request "
    "fills in (articles/progressive.py); other engines answer everything at once.",
)
suggests_spelling = _has(
    "create_spelling_suggestion",
    "The backend corrects the user's words itself (bounded like a search), not haystack's query string.",
)
plans_highlights = _has(
    "highlight_plan",
    "The backend says what a query marks in text, with prefixes and fuzzy terms expanded as the search expanded them.",
)


# Facet values an Elasticsearch engine returns per facet (a terms aggregation has a size, 10 by default, and no
# "all"); Whoosh and Solr return all of them.
ELASTICSEARCH_FACET_SIZE = 10_000


def facet_options(backend) -> dict:
    """haystack's `facet(name, **options)` for every value of a facet that some match has, in the engine's words:
    haystack hands the options to the engine as they are. Solr: facet.limit=-1 (all), facet.mincount=1 (else
    every value in the index, with 0); Elasticsearch: a terms size (it refuses `limit`); Whoosh ignores them."""
    if any(cls.__module__.startswith("haystack.backends.elasticsearch") for cls in type(backend).__mro__):
        return {"size": ELASTICSEARCH_FACET_SIZE}
    return {"limit": -1, "mincount": 1}


# --- features of the search itself, per engine ------------------------------------------------------------
# What a search can ask of an engine, by the names tests (`@pytest.mark.requires(...)`), the API (`unavailable`)
# and the README's table use. Solr and Elasticsearch provide all but `spelling_modes` and `whoosh` through
# haystack; haystack's `simple` engine (a database lookup of one word, for development) provides none.
FEATURES = {
    "query_language": "every word of a query, phrases, OR, NOT, prefixes and field:word",
    "fuzzy": "fuzzy words (word~)",
    "word_forms": "word forms: stems, accents and case folded as the index folds them",
    "filters": "filters by outlet, author, stance, year, mention and date",
    "sorting": "sorting by date",
    "ranking": "ranking by relevance",
    "facets": "facet counts",
    "highlighting": "marking the matched words",
    "spelling_modes": "other spellings and names of a name (spelling=variants)",
    "suggestions": "spelling suggestions",
    "more_like_this": "related articles",
    "offsets": "a page of results from its start (else the engine is asked for every result up to its end)",
    "whoosh": "kzarchive's own Whoosh index (segments, caches, bounds)",
}


def unavailable_features(backend=None) -> frozenset[str]:
    """The FEATURES this engine does not provide (empty for kzarchive's Whoosh engine)."""
    from haystack import connections

    backend = backend if backend is not None else get_backend()
    return lacking_in(type(backend), connections[backend.connection_alias].query)


def lacking_in(backend_class, query_class) -> frozenset[str]:
    """unavailable_features from an engine's classes (haystack's Engine.backend and Engine.query), so tests can
    ask without opening an index."""
    from haystack.backends.simple_backend import SimpleSearchBackend

    if issubclass(backend_class, SimpleSearchBackend):
        # Each word of the query is looked for as a substring of every text column of the model and only the
        # last word counts (haystack 3.4); filters become more words; order_by, facet, highlight, spelling
        # suggestions, more_like_this and offsets are ignored.
        return frozenset(FEATURES)
    missing = set()
    # Known by what it does, as every check above asks, not by its class: articles/whoosh/ imports modules
    # that import this one, so importing it here would close an import loop (tests/test_imports.py).
    if not (hasattr(backend_class, "merge_segments") and hasattr(backend_class, "highlight_plan")):
        missing.add("whoosh")
    if not hasattr(query_class, "set_spelling"):
        missing.add("spelling_modes")
    return frozenset(missing)


def provides(feature: str, backend=None) -> bool:
    if feature not in FEATURES:
        raise ValueError(f"unknown search feature {feature!r}; see engine.FEATURES")
    return feature not in unavailable_features(backend)


# --- a search on an engine that lacks some of them --------------------------------------------------------
@dataclass(frozen=True)
class Unavailable:
    """A feature this search would use and the engine lacks, with what the reader is told about it."""

    feature: str
    message: str


ENGINE_SAYS = "This archive's search engine"


def limit_search(params, *, with_facets: bool = True, with_snippets: bool = True, backend=None):
    """(what the engine is asked, [Unavailable]) for a search (articles.search.SearchParams); what is asked is None
    when the engine cannot run the search as asked without a wrong answer (filters it cannot apply). Nothing
    is dropped in silence: a count that ignored a filter, or a word, would pass for an answer."""
    lacking = unavailable_features(backend)
    if not lacking:
        return params, []
    told = []
    if "filters" in lacking and (params.filters() or params.date_from or params.date_to):
        told.append(
            Unavailable(
                "filters",
                f"{ENGINE_SAYS} cannot filter by outlet, author, stance, year, mention or date, so nothing was "
                "searched: remove the filters to search the whole archive.",
            )
        )
        return None, told
    q = params.q.strip()
    if q and "query_language" in lacking:
        words = _plain_words(q)
        if "~" in q and "fuzzy" in lacking:
            told.append(
                Unavailable("fuzzy", f"{ENGINE_SAYS} has no fuzzy words (word~): words were searched without ~.")
            )
        if len(words) != 1 or re.sub(r"~\d*", "", q) != words[0]:
            if not words:
                told.append(Unavailable("query_language", f"{ENGINE_SAYS} found no word to look for in your query."))
                return None, told
            told.append(
                Unavailable(
                    "query_language",
                    f"{ENGINE_SAYS} looks for one word, with no phrases, OR, NOT, prefixes or field:word: only "
                    f"“{words[0]}” was searched.",
                )
            )
        params = replace(params, q=words[0] if words else "")
    for feature, wanted in (
        ("sorting", True),
        ("facets", with_facets),
        ("highlighting", bool(q) and with_snippets),
        ("spelling_modes", bool(q) and params.spelling == "variants"),
    ):
        if wanted and feature in lacking:
            told.append(Unavailable(feature, f"{ENGINE_SAYS} {NOTICES[feature]}."))
    return params, told


# What the reader is told when a search would use one of these and the engine lacks it.
NOTICES = {
    "sorting": "cannot sort: results are in the engine's own order",
    "facets": "gives no facet counts",
    "highlighting": "does not mark the matched words",
    "spelling_modes": "does not match other spellings of names",
}


def unavailable_notice(feature: str, backend=None) -> str:
    """The reader's notice for one of NOTICES' features, or "" when the engine provides it."""
    return "" if provides(feature, backend) else f"{ENGINE_SAYS} {NOTICES[feature]}."


def _plain_words(q: str) -> list[str]:
    """The words of a query that a one-word engine could look for: not operators, field names or NOT words."""
    words, negated = [], False
    for part in q.split():
        if part in {"AND", "OR", "NOT"}:
            negated = part == "NOT"
            continue
        if not (negated or part.startswith("-")):
            words += re.findall(r"\w+", part.split(":", 1)[1] if re.match(r"\w+:", part) else part)
        negated = False
    return words
