"""What the search engine can do beyond haystack's API, asked in one place.

kzarchive's Whoosh backend (articles/whoosh/) adds a cross-process write lock, bulk sessions,
segment merges, spelling modes, exact filters and highlight plans. Another haystack engine (Solr,
Elasticsearch, haystack's `simple`) has none of them: every caller asks here and falls back to haystack's
own way, so the code paths an engine takes can be read off this one file.
"""

from __future__ import annotations

from contextlib import nullcontext


def get_backend(using: str = "default"):
    from haystack import connections

    return connections[using].get_backend()


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


def supports_bulk_session(backend) -> bool:
    """One writer and one commit for a whole update_index / rebuild_index run."""
    return hasattr(backend, "bulk_session")


def merges_segments(backend) -> bool:
    """The index is made of segments that `merge_index` merges (a search server merges by itself)."""
    return hasattr(backend, "merge_segments")


def creates_index(backend) -> bool:
    """The index is made by the application (`migrate` makes one for an empty archive)."""
    return hasattr(backend, "create_index")


def reads_stored_fields(backend) -> bool:
    """The index can be read whole, every stored field (check_index compares them all); other engines are
    compared on ids and content hashes only."""
    from haystack.backends.whoosh_backend import WhooshSearchBackend

    return isinstance(backend, WhooshSearchBackend)


# --- searching --------------------------------------------------------------------------------------------
def has_spelling_modes(query) -> bool:
    """The query takes `spelling=variants|exact` (articles/names/expansion.py)."""
    return hasattr(query, "set_spelling")


def has_exact_filters(query) -> bool:
    """Exact filters reach the engine as terms, never as query text."""
    return hasattr(query, "add_exact_filter")


def plans_in_search(query) -> bool:
    """The search itself returns what it marks in text (articles.highlight.QueryPlan), from the same run."""
    return hasattr(query, "want_highlight_plan")


def suggests_spelling(backend) -> bool:
    """The backend corrects the user's words itself (bounded like a search), not haystack's query string."""
    return hasattr(backend, "create_spelling_suggestion")


def plans_highlights(backend) -> bool:
    """The backend says what a query marks in text, with prefixes and fuzzy terms expanded as the search
    expanded them."""
    return hasattr(backend, "highlight_plan")
