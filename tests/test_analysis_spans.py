"""The concordance's match spans are the highlighter's, and the word-by-word shortcut in `match_spans`
finds exactly what analysing the whole text finds, phrases included."""

from __future__ import annotations

import pytest

from articles.analysis.spans import query_matcher
from articles.highlight import _analyse, _spans, query_plan


@pytest.mark.parametrize(
    "q",
    [
        "Tokayev",
        "protest",
        "Akorda",
        "minist*",
        "Massimov~",
        "CSTO OR Putin",
        "security -Putin",
        '"Security Council"',
        '"Security Council" OR Tokayev',
        '"Pandora’s box"',
    ],
)
def test_spans_equal_full_analysis(seeded, q):
    plan = query_plan(q)
    spans = query_matcher(q)
    total = 0
    for article in seeded.values():
        expected = _spans(_analyse(article.body), plan)
        assert spans(article.body) == expected, (q, article.source_file)
        total += len(expected)
    assert total > 0


def test_a_phrase_is_matched_as_a_phrase(seeded):
    body = "\n\n".join(a.body for a in seeded.values())
    matched = {body[s:e] for s, e in query_matcher('"Security Council"')(body)}
    assert {m.casefold() for m in matched} == {"security council"}


def test_no_query_no_spans(seeded):
    assert query_matcher("")(next(iter(seeded.values())).body) == []
