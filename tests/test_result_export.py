"""Whole result sets: /search/export, /api/search/export and export_articles write every match (not a
page) in the search's order, in five formats read back by rispy, bibtexparser and json, with a header that
reproduces the search; CSV is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qsl, urlsplit

import bibtexparser
import pytest
import rispy
from django.core.management import CommandError, call_command

from articles.result_export import HEADER_ROWS, ResultExport, export_header
from articles.search import MAX_PAGE_SIZE, Matches, SearchParams, matching_ids
from tests.test_citations import F000, F002, F003

EXTRA = 130  # more than the largest page (MAX_PAGE_SIZE = 100)


@pytest.fixture
def many(seeded, django_capture_on_commit_callbacks):
    """The seeds plus EXTRA short articles that all mention Tokayev, indexed."""
    from articles.ingest import ingest_bytes

    with django_capture_on_commit_callbacks(execute=True):
        for i in range(EXTRA):
            text = f"Extra report {i:03d}\n\nTokayev spoke in Almaty on day {i}. The statement was brief and formal.\n"
            assert ingest_bytes(f"extra/{i:03d}.txt", text.encode()).status == "created"
    return seeded


def body(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def jsonl(text):
    lines = [json.loads(line) for line in text.splitlines()]
    return lines[0]["kzarchive_export"], lines[1:]


def csv_rows(text):
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    header = dict(csv.reader(lines[:HEADER_ROWS]))
    return header, list(csv.DictReader(io.StringIO("".join(lines[HEADER_ROWS:]))))


def test_export_has_every_match_in_the_search_order_not_a_page(client, many):
    expected = matching_ids(SearchParams(q="Tokayev", sort="oldest")).ids
    assert len(expected) == EXTRA + 5 > MAX_PAGE_SIZE
    header, records = jsonl(body(client.get("/search/export?format=jsonl&q=Tokayev&sort=oldest&page=2")))
    assert [r["id"] for r in records] == expected
    assert header["count"] == len(expected) and header["query"] == "Tokayev" and header["sort"] == "oldest"
    # the same as walking every page of the API
    pages = []
    for page in range(1, 3):
        api = client.get(f"/api/search?q=Tokayev&sort=oldest&page_size=100&page={page}").json()
        pages += [hit["id"] for hit in api["results"]]
    assert pages == expected
    _header, rows = csv_rows(body(client.get("/search/export?format=csv&q=Tokayev&sort=oldest")))
    assert [int(r["id"]) for r in rows] == expected
    ris = rispy.loads(body(client.get("/search/export?format=ris&q=Tokayev&sort=oldest")))
    assert [r["notes"][0].split("/articles/")[1].split("/")[0] for r in ris] == [str(pk) for pk in expected]
    entries = bibtexparser.parse_string(body(client.get("/search/export?format=bib&q=Tokayev&sort=oldest"))).entries
    assert [e.key for e in entries] == [f"kzarchive-{pk}" for pk in expected]
    items = json.loads(body(client.get("/search/export?format=csl.json&q=Tokayev&sort=oldest")))
    assert [i["id"] for i in items[1:]] == [f"kzarchive-{pk}" for pk in expected]


def test_header_states_query_filters_time_version_count_and_reproduces(client, seeded):
    text = body(client.get("/search/export?format=jsonl&q=Tokayev&stance=Critical+of+Russia%27s+role&from=2022-01"))
    header, records = jsonl(text)
    assert header["archive"] == "kzarchive"
    assert header["archive_version"].startswith("5 articles, last changed 20")
    assert header["exported_at"].endswith("Z") and header["count"] == len(records) == 2
    assert header["query"] == "Tokayev" and header["sort"] == "relevance" and header["notice"] == ""
    assert header["filters"] == {"stance": ["Critical of Russia's role"], "from": "2022-01-01"}
    rerun = urlsplit(header["reproduce"])
    api = client.get("/api/search?" + rerun.query).json()
    assert rerun.path == "/search/" and api["count"] == 2
    assert sorted(h["id"] for h in api["results"]) == sorted(r["id"] for r in records)
    # every format carries the same header
    assert "Database: " in body(client.get("/search/export?format=ris&q=Tokayev")).splitlines()[1]
    library = bibtexparser.parse_string(body(client.get("/search/export?format=bib&q=Tokayev")))
    assert "kzarchive export" in library.comments[0].comment and '"count": 5' in library.comments[0].comment
    about = json.loads(body(client.get("/search/export?format=csl.json&q=Tokayev")))[0]
    assert about["type"] == "dataset" and json.loads(about["note"])["count"] == 5
    csv_header, rows = csv_rows(body(client.get("/search/export?format=csv&q=Tokayev")))
    assert csv_header["# count"] == "5" and len(rows) == 5 and csv_header["# query"] == "Tokayev"


def test_each_format_reads_back(client, seeded):
    ris = rispy.loads(body(client.get("/search/export?format=ris")))
    assert len(ris) == 5 and {r["type_of_reference"] for r in ris} == {"NEWS", "BLOG", "ELEC"}
    library = bibtexparser.parse_string(body(client.get("/search/export?format=bib")))
    assert not library.failed_blocks and len(library.entries) == 5
    dates = {e.key: e.fields_dict["date"].value for e in library.entries}
    assert dates[f"kzarchive-{seeded[F000].pk}"] == "2022-01-06" and dates[f"kzarchive-{seeded[F002].pk}"] == "2022"
    items = json.loads(body(client.get("/search/export?format=csl.json")))
    assert len(items) == 6 and items[0]["id"] == "kzarchive-export"
    translated = next(i for i in items if i["id"] == f"kzarchive-{seeded[F003].pk}")
    assert translated["translator"] == [{"family": "Batarchuk", "given": "Victria"}]


def test_csv_neutralises_formulas_and_offers_a_bom(client, seeded):
    """OWASP CSV injection: cells starting with = + - @ tab or CR would run as formulas in a spreadsheet."""
    from articles.models import Article, Tag

    a = seeded[F000]
    Article.objects.filter(pk=a.pk).update(
        title='=HYPERLINK("http://evil.example","x")', stance_rationale="+cmd|' /C calc'!A0"
    )
    a.tags.add(Tag.objects.create(name="@SUM(1+1)"))
    Article.objects.filter(pk=seeded[F002].pk).update(title="-2+3", date_note="\tleading tab", stance_rationale="\rcr")
    text = body(client.get("/search/export?format=csv&q=-zzyzx+Tokayev"))
    header, rows = csv_rows(text)
    assert header["# query"] == "'-zzyzx Tokayev"  # the user's own query is a cell too
    by_id = {int(r["id"]): r for r in rows}
    row = by_id[a.pk]
    assert row["title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["stance_rationale"] == "'+cmd|' /C calc'!A0"
    assert row["tags"].startswith("'@SUM(1+1)")
    other = by_id[seeded[F002].pk]
    assert other["title"] == "'-2+3" and other["date_note"] == "'\tleading tab"
    for r in rows:  # nothing else starts a cell with a trigger
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in r.values())
    assert not text.startswith("\ufeff")
    with_bom = client.get("/search/export?format=csv&bom=1")
    assert b"".join(with_bom.streaming_content).startswith(b"\xef\xbb\xbf# archive")


def test_bad_requests_say_why(client, seeded):
    response = client.get("/search/export?format=xls&q=x")
    assert response.status_code == 400 and b"format must be one of csv, jsonl, ris, bib, csl.json" in response.content
    assert client.get("/search/export?format=csv&from=yesterday").status_code == 400
    assert client.get("/api/search/export?format=csv&sort=random").json()["error"].startswith("sort must be")
    assert client.get("/api/search/export?format=csl.json&q=Tokayev").status_code == 200


def test_nothing_matches_is_an_honest_empty_file(client, seeded):
    header, records = jsonl(body(client.get("/search/export?format=jsonl&q=zzyzx")))
    assert header["count"] == 0 and records == []


def test_a_deletion_during_the_export_is_reported_not_hidden(seeded):
    """An article deleted between the search and its chunk being read is listed as missing."""
    params = SearchParams(q="Tokayev", sort="oldest")
    matches = matching_ids(params)
    gone = seeded[F002]
    gone_pk = gone.pk
    matches = Matches(params, matches.ids, matches.message, matches.query_used)
    header = export_header(matches, "http://testserver/search/?q=Tokayev")
    gone.delete()
    for fmt, marker in (("jsonl", "kzarchive_export_missing"), ("csv", "# missing"), ("ris", "Missing:")):
        from articles.result_export import EXPORT_FORMATS

        text = "".join(ResultExport(EXPORT_FORMATS[fmt], matches, header, site="http://testserver"))
        assert marker in text and "1 of 5 articles were deleted" in text and f"[{gone_pk}]" in text


def test_browsing_everything_says_when_the_index_disagrees_with_the_database(client, seeded, search_backend):
    search_backend.remove(seeded[F003])
    header, records = jsonl(body(client.get("/search/export?format=jsonl")))
    assert len(records) == 4 and "lists 4 of the 5 articles" in header["notice"]


def test_export_control_on_search_and_browse_pages(client, seeded):
    html = client.get("/search/?q=Tokayev").content.decode()
    assert "Export all 5 results" in html
    assert 'href="/search/export?q=Tokayev&amp;format=ris"' in html
    assert 'href="/search/export?q=Tokayev&amp;format=csv&amp;bom=1"' in html
    outlet = client.get("/outlets/al-jazeera/").content.decode()  # the page's preset filter travels along
    link = outlet.split('href="/search/export?')[1].split('"')[0].replace("&amp;", "&")
    assert ("outlet", "Al Jazeera") in parse_qsl(link)
    header, records = jsonl(body(client.get("/search/export?" + link.replace("format=csv", "format=jsonl"))))
    assert header["count"] == len(records) == 1
    month = client.get("/dates/2022/1/").content.decode()
    link = month.split('href="/search/export?')[1].split('"')[0].replace("&amp;", "&")
    assert ("from", "2022-01-01") in parse_qsl(link) and ("to", "2022-01-31") in parse_qsl(link)
    assert "Export all" not in client.get("/search/?q=zzyzx").content.decode()


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_articles", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_command_takes_the_same_formats_and_query(seeded):
    header, records = jsonl(run("--format", "jsonl"))
    assert header["count"] == 5 and header["sort"] == "oldest"
    assert [r["published"] for r in records][-1] == "2022-01-06"  # oldest first: the dated day last of January
    [entry] = rispy.loads(run("--format", "ris", "--q", "Tokayev", "--outlet", "PolitNavigator"))
    assert entry["type_of_reference"] == "NEWS" and entry["date"] == "2022/01/06/"
    assert entry["urls"] == [f"http://127.0.0.1:8000/articles/{seeded[F000].pk}/"]
    library = bibtexparser.parse_string(
        run("--format", "bib", "--author", "Sofia Hriniova", "--base-url", "https://kz.example")
    )
    assert [e.fields_dict["url"].value for e in library.entries] == [f"https://kz.example/articles/{seeded[F003].pk}/"]
    items = json.loads(run("--format", "csl.json", "--from", "2022-01", "--to", "2022-01"))
    assert len(items) == 1 + 4  # the year-only blog post is not claimed for January
    assert run("--format", "csv", "--bom").startswith("\ufeff# archive")
    with pytest.raises(CommandError, match="from must be a date"):
        run("--from", "yesterday")
