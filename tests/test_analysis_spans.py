"""The concordance's match spans are the highlighter's, and the word-by-word shortcut in `match_spans`
finds exactly what analysing the whole text finds, phrases included."""

from __future__ import annotations

import pytest

from articles.analysis.spans import query_matcher
from articles.highlight import _analyzer, _merge, _spans, key_spans, query_plan
from articles.names.index_keys import text_keys


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
@pytest.mark.parametrize("spelling", ["exact", "variants"])
def test_spans_equal_full_analysis(seeded, q, spelling):
    plan = query_plan(q, spelling)
    spans = query_matcher(q, spelling)
    total = 0
    for article in seeded.values():
        expected = full_analysis_spans(article.body, plan)
        assert spans(article.body) == expected, (q, article.source_file)
        total += len(expected)
    assert total > 0


def full_analysis_spans(text, plan):
    """Every token of the text analysed, in the search field and in the spelling field (no shortcut)."""
    tokens = [(t.text, t.startchar, t.endchar) for t in _analyzer(text, chars=True, mode="index")]
    found = _spans(tokens, plan)
    found += [(s, e) for keys, s, e in text_keys(text) if plan.keys.intersection(keys)]
    if plan.key_phrases:  # key_spans analyses every word when the plan has phrases of keys
        found += key_spans(text, plan)
    return _merge(found)


def test_variant_spellings_are_spans_only_when_asked_for(seeded):
    body = "\n\n".join(a.body for a in seeded.values())
    variants = {body[s:e] for s, e in query_matcher("Tokayev", "variants")(body)}
    exact = {body[s:e] for s, e in query_matcher("Tokayev", "exact")(body)}
    assert {w.casefold() for w in exact} == {"tokayev"}
    assert "Tokaev" in variants and exact < variants


def test_a_phrase_is_matched_as_a_phrase(seeded):
    body = "\n\n".join(a.body for a in seeded.values())
    matched = {body[s:e] for s, e in query_matcher('"Security Council"')(body)}
    assert {m.casefold() for m in matched} == {"security council"}


def test_no_query_no_spans(seeded):
    assert query_matcher("")(next(iter(seeded.values())).body) == []
