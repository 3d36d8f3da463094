"""The analysis tools on the seed archive: concordance, trends and compare as plain functions (no HTTP).

Expected values are counted independently of the code under test: with regular expressions over the
articles' bodies, or from the seeds' known dates (000 day, 001/003/004 month, 002 year only).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from articles.analysis.compare import compare
from articles.analysis.concordance import concordance
from articles.analysis.stats import g2, log_ratio
from articles.analysis.trends import TooManyPeriods, trends
from articles.search import SearchParams, matching_ids

S000, S001, S002, S003, S004 = (
    "000_9c5419554aa1a0fb.txt",
    "001_85c1c91c220d666a.txt",
    "002_1e562040c40c0d33.txt",
    "003_1d74b9649cbe830b.txt",
    "004_0023f067e5c2ca8b.txt",
)


def occurrences(pattern: str, bodies) -> int:
    return sum(len(re.findall(pattern, body, flags=re.IGNORECASE)) for body in bodies)


def bodies_of(params: SearchParams, seeded) -> list[str]:
    ids = set(matching_ids(params).ids)
    return [a.body for a in seeded.values() if a.pk in ids]


# --- concordance -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, spelling, pattern",
    [
        ("Tokayev", "exact", r"\bTokayev\b"),  # "Tokayev’s", "Tokayev?" included; "Tokaev" is another word
        ("Tokayev", "variants", r"\bToka(?:y|i)?ev\b"),  # by default other spellings are the same name
        ("Lukashenko", "variants", r"\bLukashenko\b"),
        ("protest", "variants", r"\bprotest(?:s|ed|ing|ers?)?\b"),  # stemmed forms, as the search matches them
        ("Akorda", "variants", r"\bAkord[aá]\b"),  # accents folded: the text writes "Akordá" and "Akorda"
    ],
)
def test_concordance_count_equals_occurrences_in_the_matching_bodies(seeded, q, spelling, pattern):
    result = concordance(SearchParams(q=q, spelling=spelling))
    assert not result.truncated
    expected = occurrences(pattern, bodies_of(SearchParams(q=q, spelling=spelling), seeded))
    assert expected > 0
    assert result.count == expected


def test_concordance_lines_point_at_their_match_with_context(seeded):
    result = concordance(SearchParams(q="Tokayev", spelling="exact"), context=8)
    bodies = {a.pk: a.body for a in seeded.values()}
    for line in result.lines:
        body = bodies[line.article.id]
        assert body[line.offset : line.offset + len(line.match)] == line.match
        assert line.match.lower() == "tokayev"
        assert len(line.left_words) <= 8 and len(line.right_words) <= 8
        assert " ".join(body[: line.offset].split()).endswith(line.left.strip())
        paragraph = seeded_paragraphs(seeded, line.article.id)[line.paragraph - 1]
        assert line.match in paragraph
    # In the search's order, then text order within an article.
    order = [(ln.order, ln.offset) for ln in result.lines]
    assert order == sorted(order)


def seeded_paragraphs(seeded, article_id):
    return next(a for a in seeded.values() if a.pk == article_id).paragraphs


def test_concordance_sorts(seeded):
    result = concordance(SearchParams(q="Tokayev"))
    by_l1 = result.sorted_lines("L1")
    assert [ln.word("L1") for ln in by_l1] == sorted(ln.word("L1") for ln in by_l1)
    by_r1 = result.sorted_lines("R1")
    assert [ln.word("R1") for ln in by_r1] == sorted(ln.word("R1") for ln in by_r1)
    by_date = result.sorted_lines("date")
    dates = [ln.article.published_date for ln in by_date]
    assert dates == sorted(dates)
    by_outlet = result.sorted_lines("outlet")
    outlets = [ln.article.outlet for ln in by_outlet]
    known = [o for o in outlets if o]
    assert known == sorted(known, key=str.casefold) and outlets[-1] is None  # the unknown outlet last
    assert sorted(map(id, by_l1)) == sorted(map(id, result.lines))


def test_concordance_of_a_keyword_inside_a_set(seeded):
    result = concordance(SearchParams(q="Tokayev", outlet=["InformNapalm"], spelling="exact"), kw="CSTO")
    expected = occurrences(r"\bCSTO\b", [seeded[S003].body])
    assert result.count == expected > 0
    assert {ln.article.id for ln in result.lines} == {seeded[S003].pk}
    assert all(ln.match == "CSTO" for ln in result.lines)
    # By default the curated alias counts too: the organisation's full name is the same entity.
    aliases = concordance(SearchParams(q="Tokayev", outlet=["InformNapalm"]), kw="CSTO")
    full_name = r"\bCSTO\b|\bCollective Security Treaty Organi[sz]ation\b|\bODKB\b|ОДКБ"
    assert aliases.count == occurrences(full_name, [seeded[S003].body]) > expected


def test_concordance_stops_at_the_line_limit_and_says_so(seeded, settings):
    settings.ANALYSIS_MAX_LINES = 10
    result = concordance(SearchParams(q="Tokayev"))
    assert result.count == 10 and result.truncated and "Partial result" in result.notice


def test_concordance_stops_at_the_article_limit_and_says_so(seeded, settings):
    settings.ANALYSIS_MAX_ARTICLES = 2
    result = concordance(SearchParams(q="Tokayev"))
    assert result.reading.read == 2 and result.reading.matches == 5
    assert result.truncated and "read 2 of 5 matching articles" in result.notice


# --- trends -------------------------------------------------------------------------------------------------


def test_trends_by_month_place_day_and_month_dates_only(seeded):
    result = trends(SearchParams(), by="month")
    assert [(r.period, r.split, r.articles, r.all_articles, r.share) for r in result.rows] == [
        ("2022-01", "All articles", 4, 4, 1.0)
    ]
    assert [f.id for f in result.not_placed] == [seeded[S002].pk]  # known only to 2022
    assert result.reading is None  # no query: no occurrences


def test_trends_by_day_list_month_dates_as_not_placed(seeded):
    result = trends(SearchParams(), by="day")
    assert [(r.period, r.articles, r.all_articles) for r in result.rows] == [("2022-01-06", 1, 1)]
    assert {f.id for f in result.not_placed} == {seeded[n].pk for n in (S001, S002, S003, S004)}
    weeks = trends(SearchParams(), by="week")
    assert [(r.period, r.articles) for r in weeks.rows] == [("2022-W01", 1)]
    years = trends(SearchParams(), by="year")
    assert [(r.period, r.articles) for r in years.rows] == [("2022", 5)] and years.not_placed == []


def test_trends_split_by_outlet_with_occurrences_and_shares(seeded):
    result = trends(SearchParams(q="Lukashenko"), by="month", split="outlet")
    assert result.occurrences_counted
    rows = {r.split: (r.articles, r.occurrences, r.all_articles) for r in result.rows}
    expected_occurrences = {
        name: occurrences(r"\bLukashenko\b", [seeded[f].body])
        for name, f in (("PolitNavigator", S000), ("InformNapalm", S003), ("Unknown outlet", S004))
    }
    assert rows == {name: (1, n, 1) for name, n in expected_occurrences.items()}
    assert [r.split for r in result.rows][-1] == "Unknown outlet"
    stance = trends(SearchParams(q="Tokayev"), by="year", split="stance")
    assert sum(r.articles for r in stance.rows) == 5
    assert all(r.share == 1.0 for r in stance.rows)  # every article of each stance in 2022 matches


def test_trends_share_is_of_all_articles_in_the_period(seeded):
    # Al Jazeera's own search: 1 of the 4 articles placed in January 2022.
    result = trends(SearchParams(q="Peskov"), by="month")
    (row,) = result.rows
    assert (row.articles, row.all_articles, row.share) == (1, 4, 0.25)
    assert row.occurrences == occurrences(r"\bPeskov\b", [seeded[S001].body])


def test_trends_do_not_show_partial_occurrences(seeded, settings):
    settings.ANALYSIS_MAX_ARTICLES = 2
    result = trends(SearchParams(q="Tokayev"), by="month")
    assert not result.occurrences_counted
    assert all(r.occurrences is None for r in result.rows)
    assert sum(r.articles for r in result.rows) == 4  # article counts cover every match regardless
    assert "Occurrences are therefore not shown" in result.notice


def test_trends_refuse_too_many_periods(db, search_backend, django_capture_on_commit_callbacks):
    import datetime as dt

    from articles.models import Article

    with django_capture_on_commit_callbacks(execute=True):
        for i, day in enumerate((dt.date(1900, 1, 1), dt.date(2022, 1, 1))):
            Article.objects.create(
                title=f"t{i}", body="words", source_file=f"f{i}.txt", published_date=day, date_precision="day"
            )
    with pytest.raises(TooManyPeriods):
        trends(SearchParams(), by="day")
    assert len(trends(SearchParams(), by="year").rows) == 123


# --- compare ------------------------------------------------------------------------------------------------


def word_counts(body: str) -> Counter:
    return Counter(w.lower() for w in re.findall(r"\w+", body))


def test_compare_counts_and_statistics(seeded):
    a, b = SearchParams(outlet=["PolitNavigator"]), SearchParams(outlet=["Al Jazeera"])
    result = compare(a, b, min_count=1)
    ca, cb = word_counts(seeded[S000].body), word_counts(seeded[S001].body)
    assert result.a.total == sum(ca.values()) and result.b.total == sum(cb.values())
    by_term = {k.term: k for k in result.keywords}
    for term in ("csto", "soviet", "forces", "the"):
        k = by_term[term]
        assert (k.a, k.b) == (ca[term], cb[term])
        assert k.g2 == pytest.approx(g2(k.a, result.a.total, k.b, result.b.total))
        assert k.log_ratio == pytest.approx(log_ratio(k.a, result.a.total, k.b, result.b.total))
    assert by_term["soviet"].side == "B" and by_term["forces"].side == "A"
    assert result.shared_articles == 0


def test_compare_hides_stop_words_by_default_but_counts_them(seeded):
    result = compare(SearchParams(outlet=["PolitNavigator"]), SearchParams())
    shown = result.top("A", n=500)
    assert shown and not any(k.stop for k in shown)
    with_stop = result.top("A", n=500, show_stop=True)
    assert any(k.stop for k in with_stop)
    assert result.shared_articles == 1  # A is inside B (the whole archive)


def test_compare_two_word_phrases(seeded):
    result = compare(SearchParams(outlet=["InformNapalm"]), SearchParams(outlet=["Al Jazeera"]), ngram=2, min_count=2)
    by_term = {k.term: k for k in result.keywords}
    expected = occurrences(r"\bSecurity Council\b", [seeded[S003].body])
    assert by_term["security council"].a == expected
    assert by_term["security council"].stop is False and by_term["of the"].stop is True


def test_compare_rank_by_each_statistic(seeded):
    result = compare(SearchParams(outlet=["PolitNavigator"]), SearchParams(outlet=["Al Jazeera"]))
    for rank, key in (
        ("g2", lambda k: k.g2),
        ("logodds", lambda k: abs(k.log_odds_z)),
        ("logratio", lambda k: abs(k.log_ratio)),
    ):
        top = result.top("A", rank=rank, n=20)
        assert [key(k) for k in top] == sorted((key(k) for k in top), reverse=True)
        assert all(k.side == "A" and k.a + k.b >= 3 for k in top)
