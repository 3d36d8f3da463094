"""Where a query matches in a text: the one adapter the concordance and the trends' occurrence counts use.

TODO(i10a): articles/highlight.py is becoming phrase-aware, with one function that returns the match
spans of a query in a text. When it lands, `query_matcher` returns that function bound to the query, and
nothing else here changes. Until then it marks what the highlighter marks today: every word whose
analysed form (lower-cased, accent-folded, stemmed) is one of the query's terms as the engine expands
them (prefixes, fuzzy terms), without the terms under NOT. A phrase is matched word by word, not as a
phrase, until the switch.
"""

from __future__ import annotations

from collections.abc import Callable

from articles.highlight import _tokens, query_terms

Span = tuple[int, int]


def query_matcher(query: str) -> Callable[[str], list[Span]]:
    """A function giving the (start, end) character spans where `query` matches a text, in text order."""
    terms = query_terms(query) if query.strip() else set()

    def spans(text: str) -> list[Span]:
        if not terms:
            return []
        return [(start, end) for term, start, end in _tokens(text) if term in terms]

    return spans
