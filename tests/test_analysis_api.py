"""The analysis API (/api/analysis/...) and its CSV downloads, which must hold the same rows as the JSON."""

from __future__ import annotations

import csv
import io

import pytest

from articles.analysis.api import csv_value


def get_json(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def get_csv(client, url: str) -> tuple[list[str], list[list[str]], object]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    return rows[0], rows[1:], response


def assert_csv_matches(header, rows, json_rows):
    assert len(rows) == len(json_rows)
    for row, expected in zip(rows, json_rows, strict=True):
        assert header == list(expected.keys())
        assert row == [csv_value(expected[c]) for c in header]


def test_concordance_json_shape_and_paging(client, seeded):
    first = get_json(client, "/api/analysis/concordance?q=Tokayev&spelling=exact&page_size=10")
    assert first["count"] == 57 and first["num_pages"] == 6 and len(first["lines"]) == 10
    line = first["lines"][0]
    for key in ("article", "outlet", "published", "left", "match", "right", "offset"):
        assert key in line
    assert line["url"].endswith(f"/articles/{line['article']}/?q=Tokayev&spelling=exact#p{line['paragraph']}")
    pages = [first] + [
        get_json(client, f"/api/analysis/concordance?q=Tokayev&spelling=exact&page_size=10&page={n}")
        for n in range(2, 7)
    ]
    every = [ln for p in pages for ln in p["lines"]]
    assert len(every) == 57 and len({(ln["article"], ln["offset"]) for ln in every}) == 57
    get_json(client, "/api/analysis/concordance?q=Tokayev&spelling=exact&page_size=10&page=7", status=400)


@pytest.mark.parametrize("sort", ["", "L1", "R2", "date", "outlet"])
def test_concordance_csv_has_every_line_of_the_json(client, seeded, sort):
    base = f"/api/analysis/concordance?q=Tokayev&sort={sort}"
    json_lines = get_json(client, base + "&page_size=500")["lines"]
    header, rows, response = get_csv(client, base + "&format=csv&page_size=3")  # CSV is never paged
    assert_csv_matches(header, rows, json_lines)
    assert 'filename="kzarchive-concordance.csv"' in response["Content-Disposition"]


def test_trends_csv_matches_json(client, seeded):
    url = "/api/analysis/trends?q=Tokayev&by=month&split=outlet"
    data = get_json(client, url)
    assert data["count"] == 5 and data["occurrences_counted"] is True
    assert [r["split"] for r in data["rows"]] == ["Al Jazeera", "InformNapalm", "PolitNavigator", "Unknown outlet"]
    assert len(data["not_placed"]) == 1 and data["not_placed"][0]["date_precision"] == "year"
    header, rows, _ = get_csv(client, url + "&format=csv")
    assert_csv_matches(header, rows, data["rows"])


def test_compare_csv_matches_json(client, seeded):
    url = "/api/analysis/compare?a.outlet=PolitNavigator&b.outlet=Al+Jazeera&top=15"
    data = get_json(client, url)
    assert data["a"]["description"] == "outlet: PolitNavigator" and data["b"]["matches"] == 1
    assert {w["side"] for w in data["words"]} == {"A", "B"}
    assert not any(w["stop"] for w in data["words"])
    assert "/analysis/concordance/?outlet=PolitNavigator&kw=" in data["words"][0]["concordance"]
    header, rows, _ = get_csv(client, url + "&format=csv")
    assert_csv_matches(header, rows, data["words"])


def test_a_compare_word_links_to_its_concordance_in_that_set(client, seeded):
    data = get_json(client, "/api/analysis/compare?a.outlet=PolitNavigator&b.outlet=Al+Jazeera&top=50")
    word = next(w for w in data["words"] if w["word"] == "forces")
    path = word["concordance"].split("testserver", 1)[1]
    lines = get_json(client, path.replace("/analysis/concordance/", "/api/analysis/concordance") + "&page_size=500")
    assert {ln["article"] for ln in lines["lines"]} == {seeded["000_9c5419554aa1a0fb.txt"].pk}
    assert lines["count"] >= word["a"]  # every form the search matches ("force" too), at least the word itself


def test_timeline_json_shape_and_csv(client, seeded):
    data = get_json(client, "/api/analysis/timeline")
    fifth = next(d for d in data["days"] if d["date"] == "2022-01-05")
    assert {m["outlet"] for m in fifth["mentions"]} == {"PolitNavigator", "Al Jazeera", "InformNapalm"}
    m = fifth["mentions"][0]
    for key in ("article", "outlet", "sentence", "expression", "stance"):
        assert key in m
    assert data["count"] == 28
    flat = [{"date": d["date"], **m} for d in data["days"] for m in d["mentions"]]
    header, rows, _ = get_csv(client, "/api/analysis/timeline?format=csv")
    assert_csv_matches(header, rows, flat)


@pytest.mark.parametrize(
    "url, message",
    [
        ("/api/analysis/concordance", "needs words"),
        ("/api/analysis/concordance?q=x&sort=sideways", "sort must be"),
        ("/api/analysis/concordance?q=x&context=99", "context must be between"),
        ("/api/analysis/trends?by=fortnight", "by must be one of"),
        ("/api/analysis/trends?from=yesterday", "from must be a date"),
        ("/api/analysis/compare?a.from=soon", "Set A: from must be a date"),
        ("/api/analysis/compare?ngram=3", "ngram must be between"),
        ("/api/analysis/timeline?page_size=abc", None),  # paging is not the timeline's: ignored
    ],
)
def test_bad_parameters_are_400_with_a_message(client, seeded, url, message):
    if message is None:
        get_json(client, url)
        return
    data = get_json(client, url, status=400)
    assert message in data["error"]


def test_partial_results_say_so_in_json_and_csv(client, seeded, settings):
    settings.ANALYSIS_MAX_ARTICLES = 2
    data = get_json(client, "/api/analysis/concordance?q=Tokayev")
    assert data["truncated"] is True and "read 2 of 5" in data["notice"]
    _, _, response = get_csv(client, "/api/analysis/concordance?q=Tokayev&format=csv")
    assert "read 2 of 5" in response["X-Analysis-Notice"]
    assert 'filename="kzarchive-concordance-partial.csv"' in response["Content-Disposition"]
    trends = get_json(client, "/api/analysis/trends?q=Tokayev")
    assert trends["truncated"] and all(r["occurrences"] is None for r in trends["rows"])
    timeline = get_json(client, "/api/analysis/timeline")
    assert timeline["truncated"] and timeline["articles_read"] == 2
    compare = get_json(client, "/api/analysis/compare?b.q=Tokayev")
    assert compare["truncated"] and compare["a"]["read"] == 2 and compare["a"]["matches"] == 5


def test_a_filter_that_matches_nothing_gives_empty_results_not_everything(client, seeded):
    assert get_json(client, "/api/analysis/concordance?q=Tokayev&outlet=Nobody")["count"] == 0
    assert get_json(client, "/api/analysis/trends?outlet=Nobody")["rows"] == []
    assert get_json(client, "/api/analysis/timeline?outlet=Nobody")["days"] == []


def test_csv_cells_that_would_run_as_formulas_are_quoted(client, seeded, django_capture_on_commit_callbacks):
    from articles.models import Article

    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.create(
            title="Formula",
            body='=HYPERLINK("http://example.invalid","x") zqxformula on January 8.',
            source_file="formula.txt",
            published_date=__import__("datetime").date(2022, 1, 9),
            date_precision="day",
        )
    header, rows, _ = get_csv(client, "/api/analysis/timeline?q=zqxformula&format=csv")
    sentence = rows[0][header.index("sentence")]
    assert sentence.startswith("'=HYPERLINK")  # the JSON keeps the text as written
    assert get_json(client, "/api/analysis/timeline?q=zqxformula")["days"][0]["mentions"][0]["sentence"].startswith("=")
    assert csv_value(-1.5) == "-1.5" and csv_value("-1.5") == "'-1.5" and csv_value("a=b") == "a=b"


def test_the_tools_take_the_spelling_choice_and_the_name_filter(client, seeded):
    """Both reach the search the tool runs, and its links (they were once dropped as unknown keys)."""
    variants = get_json(client, "/api/analysis/concordance?q=Tokayev")
    exact = get_json(client, "/api/analysis/concordance?q=Tokayev&spelling=exact")
    assert variants["count"] > exact["count"] == 57
    assert "Tokaev" in {ln["match"] for ln in variants["lines"]}
    assert all("spelling=exact" in ln["url"] for ln in exact["lines"])
    assert not any("spelling=" in ln["url"] for ln in variants["lines"])
    named = get_json(client, "/api/analysis/concordance?q=Tokayev&mention=Karim+Massimov&page_size=500")
    everywhere = get_json(client, "/api/analysis/concordance?q=Tokayev&page_size=500")
    named_articles = {ln["article"] for ln in named["lines"]}
    assert 0 < len(named_articles) < len({ln["article"] for ln in everywhere["lines"]})
    trends = get_json(client, "/api/analysis/trends?q=Tokayev&by=year&mention=Karim+Massimov")
    assert sum(r["articles"] for r in trends["rows"]) == len(named_articles)
