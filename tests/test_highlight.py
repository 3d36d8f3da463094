"""Where a query matches a text (`match_spans`), and the marks built on it (issue 10, item 3).

`match_spans` is tested directly on plans written by hand (no index needed), then through the search:
a phrase marks its occurrences, never its words elsewhere; nothing under NOT is marked; prefix and fuzzy
expansions are marked; snippets choose the window around the phrase.
"""

from __future__ import annotations

import re

import pytest

from articles.highlight import (
    TEXT_FIELDS,
    QueryPlan,
    _analyse,
    _analyzer,
    _local_parser,
    _make_snippet,
    _unexpanded,
    highlight,
    indexed_term,
    match_spans,
    plan_for,
    query_plan,
    snippet,
)
from articles.search import SearchParams, search_articles

SECURITY_COUNCIL = QueryPlan(phrases=((("secur", "council"), 1),))


def passages(text: str, plan: QueryPlan) -> list[str]:
    return [text[s:e] for s, e in match_spans(text, plan)]


WORD_EDGES = (
    "The PRESIDENT's Akordá; naïve İstanbul ΟΔΟΣ Σίσυφος a I x2 co-operation 1,000 3.6 e-mail_addr "
    "Ακρόπολη «Токаев» Тоқаев's Nur-Sultan\r\n\u00a0\u200bno\ufeffbreak ǅemal ß STRASSE ﬁnance Ⅻ ①"
)


@pytest.mark.parametrize("text", [WORD_EDGES, "", "   ", "the and of a"])
def test_word_by_word_analysis_equals_the_analyzer(text):
    """Snippets analyse word by word through a cache; the tokens must be the analyzer's own."""
    assert _analyse(text) == [(t.text, t.startchar, t.endchar) for t in _analyzer(text, chars=True, mode="index")]


def test_word_by_word_analysis_equals_the_analyzer_on_the_seeds(seeded):
    for article in seeded.values():
        expected = [(t.text, t.startchar, t.endchar) for t in _analyzer(article.body, chars=True, mode="index")]
        assert _analyse(article.body) == expected, article.source_file


def test_a_phrase_matches_only_where_its_words_stand_together():
    text = "The National Security Committee met the Security  Council; security forces and the council waited."
    spans = match_spans(text, SECURITY_COUNCIL)
    assert spans == [(40, 57)]
    assert passages(text, SECURITY_COUNCIL) == ["Security  Council"]


def test_spans_are_offsets_into_the_text_as_given():
    text = "Tokayev — Akordá, «protesting»\n\nProtests in Almaty. Akorda!"
    plan = QueryPlan(terms=frozenset({"akorda", "protest"}))  # analysed: accents folded, stemmed
    assert passages(text, plan) == ["Akordá", "protesting", "Protests", "Akorda"]
    for s, e in match_spans(text, plan):
        assert 0 <= s < e <= len(text)


def test_stop_words_between_phrase_words_do_not_count_as_positions():
    # As when indexing: "of" is dropped and the rest renumbered, so the search matches this phrase.
    plan = QueryPlan(phrases=((("council", "europ"), 1),))
    assert passages("the Council of Europe and a council meeting Europe", plan) == ["Council of Europe"]


def test_slop_allows_words_between():
    plan = QueryPlan(phrases=((("secur", "council"), 2),))
    assert passages("security national council; security big fat council", plan) == ["security national council"]


def test_a_term_inside_a_phrase_is_one_mark():
    plan = QueryPlan(terms=frozenset({"council"}), phrases=SECURITY_COUNCIL.phrases)
    assert passages("the Security Council and a council", plan) == ["Security Council", "council"]


def test_an_empty_plan_matches_nothing():
    assert match_spans("Security Council", QueryPlan()) == []
    assert not QueryPlan()


def test_words_under_not_are_never_in_the_plan():
    parse = _local_parser().parse
    for q in ("Tokayev -Putin", "Tokayev NOT Putin", "Tokayev AND NOT (Putin OR Lukashenko)"):
        plan = plan_for(parse(q), TEXT_FIELDS, _unexpanded)
        assert plan.terms == {"tokayev"}, q
    plan = plan_for(parse('"Security Council" -"security forces"'), TEXT_FIELDS, _unexpanded)
    assert plan.phrases == SECURITY_COUNCIL.phrases and not plan.terms


def test_query_plan_from_the_index_expands_prefixes_and_fuzzy_terms(seeded):
    assert query_plan('"Security Council"', "exact") == SECURITY_COUNCIL
    assert "zhanaozen" in query_plan("zhanaoz*").terms
    assert {"massimov", "masimov"} <= query_plan("Masimov~").terms
    assert query_plan("Tokayev -Putin", "exact").terms == {"tokayev"}
    # With variant spellings (the default) the same terms, and the names' spelling keys besides.
    assert query_plan("Tokayev -Putin").terms == {"tokayev"}
    assert "~tokaev" in query_plan("Tokayev -Putin").keys and "~putin" not in query_plan("Tokayev -Putin").keys
    assert query_plan("") == QueryPlan()


def test_snippets_mark_the_phrase_not_its_words(seeded):
    results = search_articles(SearchParams(q='"Security Council"'))
    assert results.count == 5
    for hit in results.hits:
        marks = re.findall(r"<mark>(.*?)</mark>", str(hit.snippet))
        assert marks, hit.article.title
        assert {m.lower() for m in marks} == {"security council"}, marks


def test_snippet_window_is_chosen_around_the_phrase():
    words = " ".join(["security"] * 60)
    body = (
        f"{words} filler text here. " + "other words " * 40 + "then the Security Council met at last. " + "tail " * 50
    )
    html = str(snippet(body, SECURITY_COUNCIL))
    assert "<mark>Security Council</mark> met at last" in html
    assert "<mark>security</mark>" not in html


def test_a_kept_snippet_is_the_one_made_for_that_text_and_plan():
    """Snippets are kept by the digest of the text they read: the same text and plan give the kept one, an
    edited text (or another plan, or a longer body past the scanned opening) a snippet of its own."""
    plan = QueryPlan(terms=frozenset({indexed_term("protests")}))
    text = "Opening words.\n\nThe protests began in Zhanaozen on 2 January over the price of gas."
    first = snippet(text, plan)
    assert first == _make_snippet(text, plan, 40) and "<mark>protests</mark>" in first
    assert snippet(text, plan) is first
    edited = snippet(text.replace("Zhanaozen", "Aktau"), plan)
    assert "Aktau" in edited and "Zhanaozen" not in edited
    other = snippet(text, QueryPlan(terms=frozenset({indexed_term("gas")})))
    assert "<mark>gas</mark>" in other and "<mark>protests</mark>" not in other
    longer = text + " x" * 30_000  # past SNIPPET_SCAN_CHARS: the same opening, but now marked as cut
    assert snippet(longer, plan) == _make_snippet(longer, plan, 40) != first


def test_a_phrase_at_the_window_edge_is_shown_whole():
    body = "alpha " * 10 + "Security Council " + "omega " * 100
    html = str(snippet(body, SECURITY_COUNCIL, words=3))
    assert "<mark>Security Council</mark>" in html


def test_article_page_marks_every_phrase_occurrence_and_nothing_else(client, seeded):
    article = seeded["002_1e562040c40c0d33.txt"]
    html = client.get(f"/articles/{article.pk}/", {"q": '"Security Council"'}).content.decode()
    body = html.split('<div class="body">')[1].split("</div>")[0]
    marks = re.findall(r"<mark>(.*?)</mark>", body)
    expected = re.findall(r"security\W+council", article.body, flags=re.IGNORECASE)
    assert len(marks) == len(expected) == 5
    assert {m.lower() for m in marks} == {"security council"}


def test_article_page_never_marks_words_under_not(client, seeded):
    article = seeded["003_1d74b9649cbe830b.txt"]
    for q in ("Tokayev -Putin", "Tokayev NOT Putin"):
        html = client.get(f"/articles/{article.pk}/", {"q": q, "spelling": "exact"}).content.decode()
        marks = {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", html)}
        assert marks == {"tokayev"}, (q, marks)
        # With variant spellings (the default) the article's one "Tokaev" is marked too, Putin never.
        html = client.get(f"/articles/{article.pk}/", {"q": q}).content.decode()
        marks = {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", html)}
        assert marks == {"tokayev", "tokaev"}, (q, marks)


@pytest.mark.parametrize(
    ("q", "word"), [("zhanaoz*", "Zhanaozen"), ("Masimov~", "Massimov"), ("protesting", "protesters")]
)
def test_prefix_fuzzy_and_stemmed_terms_are_still_marked(client, seeded, q, word):
    article = seeded["001_85c1c91c220d666a.txt"]
    html = client.get(f"/articles/{article.pk}/", {"q": q}).content.decode()
    assert f"<mark>{word}</mark>" in html


def test_highlight_escapes_text_around_marks():
    html = str(highlight("<b>Security Council</b> & co", SECURITY_COUNCIL))
    assert html == "&lt;b&gt;<mark>Security Council</mark>&lt;/b&gt; &amp; co"
