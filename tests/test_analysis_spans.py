"""The concordance's match spans are the highlighter's, word for word, on every seed body."""

from __future__ import annotations

import pytest

from articles.analysis.spans import query_matcher
from articles.highlight import _tokens, query_terms


@pytest.mark.parametrize(
    "q", ["Tokayev", "protest", "Akorda", "minist*", "Massimov~", "CSTO OR Putin", "security -Putin"]
)
def test_spans_equal_the_highlighters_marks(seeded, q):
    terms = query_terms(q)
    spans = query_matcher(q)
    total = 0
    for article in seeded.values():
        expected = [(s, e) for term, s, e in _tokens(article.body) if term in terms]
        assert spans(article.body) == expected, (q, article.source_file)
        total += len(expected)
    assert total > 0


def test_no_query_no_spans(seeded):
    assert query_matcher("")(next(iter(seeded.values())).body) == []
