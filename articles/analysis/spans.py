"""Where a query matches in a text, for the concordance and the trends' occurrence counts.

The one answer to "where" is the highlighter's `match_spans` (phrases as phrases, stems, folding and the
search's own prefix and fuzzy expansions, nothing under NOT); this binds it to a query once, so the
expansions are worked out once for every body a tool reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from articles.highlight import match_spans, query_plan

Span = tuple[int, int]


def query_matcher(query: str, spelling: str = "variants") -> Callable[[str], list[Span]]:
    """A function giving the (start, end) character spans where `query` matches a text, in text order,
    with the search's own spelling choice: "exact" marks only what an exact-spelling search matches."""
    return functools.partial(_spans, plan=query_plan(query, spelling))


def _spans(text: str, plan) -> list[Span]:
    return match_spans(text, plan)
