"""Exact phrases matched on sets of word positions instead of Whoosh's general span search.

Whoosh checks every document that has all of a phrase's words with its general "near" search: a `Span`
object per position of every word, a binary search and a nested loop per pair. For an exact phrase (the
words next to each other, in order: what `"interest rates"` asks) that is a set intersection of positions
shifted by one. Same documents, same spans; only exact phrases take this way (a `~N` slop or a field that
stores characters keeps Whoosh's). About a fifth of a broad phrase's ranking time at 100,000 articles.
"""

from __future__ import annotations

from whoosh.query.spans import Span, SpanNear2

_general_spans = SpanNear2.SpanNear2Matcher._get_spans


def _exact_phrase_spans(self):
    matchers = self.ms
    if self.slop != 1 or not self.ordered or self.mindist != 1 or matchers[0].supports("characters"):
        return _general_spans(self)
    ends = set(matchers[0].value_as("positions"))
    for matcher in matchers[1:]:
        ends = {p for p in matcher.value_as("positions") if p - 1 in ends}
        if not ends:
            return []
    width = len(matchers) - 1
    return [Span(end - width, end) for end in sorted(ends)]


SpanNear2.SpanNear2Matcher._get_spans = _exact_phrase_spans
