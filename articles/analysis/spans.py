"""Where a query matches in a text: the one adapter the concordance and the trends' occurrence counts use.

TODO(i10a): articles/highlight.py is becoming phrase-aware, with one function that returns the match
spans of a query in a text. When it lands, `query_matcher` returns that function bound to the query, and
nothing else here changes. Until then it marks what the highlighter marks today: every word whose
analysed form (lower-cased, accent-folded, stemmed) is one of the query's terms as the engine expands
them (prefixes, fuzzy terms), without the terms under NOT. A phrase is matched word by word, not as a
phrase, until the switch.

The words are the highlighter's (tests/test_analysis_spans.py checks the spans are identical), found
faster: the index analyzer runs once per distinct word form (cached across texts) rather than over every
body, and the matching forms are then found with one regular expression.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from articles.analysis.tokens import WORD_RE
from articles.highlight import query_terms
from articles.whoosh_backend import archive_analyzer

Span = tuple[int, int]
_analyzer = archive_analyzer()


@functools.lru_cache(maxsize=200_000)
def indexed_term(word: str) -> str | None:
    """The term the index holds for one word as written (None for a stop word)."""
    for token in _analyzer(word, mode="index"):
        return token.text
    return None


def query_matcher(query: str) -> Callable[[str], list[Span]]:
    """A function giving the (start, end) character spans where `query` matches a text, in text order."""
    terms = query_terms(query) if query.strip() else set()

    def spans(text: str) -> list[Span]:
        if not terms:
            return []
        # The distinct word forms of the text that analyse to a query term, then where they stand.
        forms = [f for f in set(WORD_RE.findall(text)) if indexed_term(f) in terms]
        if not forms:
            return []
        where = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(forms, key=len, reverse=True))) + r")(?!\w)")
        return [m.span() for m in where.finditer(text)]

    return spans
