"""The search on an engine without kzarchive's Whoosh features (haystack's own `simple`): each feature it lacks
is named to the reader (page and API), never a 500, and never a count that ignored part of the search.

`make test` also runs the search, view and API tests on `simple` (HAYSTACK_URL=simple://); these tests swap
the engine for one test, so they run in every run."""

import json

import pytest
from haystack.backends import BaseSearchBackend, BaseSearchQuery
from haystack.backends.simple_backend import SimpleSearchBackend, SimpleSearchQuery

from articles import engine
from articles.whoosh.backend import ArchiveWhooshBackend, ArchiveWhooshSearchQuery
from kzarchive.settings import haystack_connections


def api(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def features(data):
    return {u["feature"] for u in data["unavailable"]}


def test_what_each_engine_lacks():
    assert engine.lacking_in(ArchiveWhooshBackend, ArchiveWhooshSearchQuery) == frozenset()
    # Solr and Elasticsearch: haystack's whole API, none of kzarchive's own (pysolr is not installed here).
    assert engine.lacking_in(BaseSearchBackend, BaseSearchQuery) == {"whoosh", "spelling_modes"}
    assert engine.lacking_in(SimpleSearchBackend, SimpleSearchQuery) == set(engine.FEATURES)


def test_simple_url_selects_haystacks_simple_engine():
    assert haystack_connections("simple://") == {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}


@pytest.mark.requires("whoosh")
def test_whoosh_lacks_nothing(client, seeded):
    assert api(client, "/api/search?q=Lukashenko")["unavailable"] == []


def test_simple_names_what_it_lacks_on_the_page_and_in_the_api(client, seeded, simple_engine):
    data = api(client, "/api/search?q=Lukashenko")
    assert data["count"] == 3
    assert features(data) == {"sorting", "facets", "highlighting", "spelling_modes"}
    assert all("search engine" in u["message"] for u in data["unavailable"])
    assert "<mark>" not in data["results"][0]["snippet"]
    page = client.get("/search/?q=Lukashenko").content.decode()
    assert "needs facet counts" in page and "cannot sort" in page
    assert "Sort by:" not in page


def test_a_filter_simple_cannot_apply_searches_nothing_and_says_so(client, seeded, simple_engine):
    for url in ("/api/search?outlet=Al+Jazeera", "/api/search?q=Lukashenko&from=2022"):
        data = api(client, url)
        assert (data["count"], data["results"]) == (0, [])
        assert "filters" in features(data) and "nothing was searched" in data["unavailable"][0]["message"]
    page = client.get("/outlets/al-jazeera/")
    assert page.status_code == 200 and "cannot filter" in page.content.decode()


def test_a_query_of_more_than_one_word_is_searched_for_its_first_word_and_says_so(client, seeded, simple_engine):
    one = api(client, "/api/search?q=Lukashenko")
    for q, word in (
        ("Lukashenko+Kumtor", "Lukashenko"),
        ("Kumtor+NOT+Hainan+Lukashenko", "Kumtor"),
        ("-Kumtor+Lukashenko", "Lukashenko"),
        ("%22Lukashenko+said%22", "Lukashenko"),
        ("Lukashenk*", "Lukashenk"),
        ("title:Lukashenko", "Lukashenko"),
    ):
        data = api(client, f"/api/search?q={q}")
        assert data["count"] == api(client, f"/api/search?q={word}")["count"], q
        assert "query_language" in features(data), q
        assert f"only “{word}” was searched" in " ".join(u["message"] for u in data["unavailable"]), q
    data = api(client, "/api/search?q=Lukashenko~")
    assert features(data) >= {"fuzzy"} and "query_language" not in features(data)
    assert data["count"] == one["count"]


def test_pages_come_from_the_right_place_though_simple_ignores_offsets(client, seeded, simple_engine):
    everything = [r["id"] for r in api(client, "/api/search?page_size=100")["results"]]
    assert len(everything) == 5
    pages = [api(client, f"/api/search?page_size=2&page={n}") for n in (1, 2, 3)]
    assert [[r["id"] for r in p["results"]] for p in pages] == [everything[0:2], everything[2:4], everything[4:]]


def test_exports_and_tools_refuse_what_simple_could_not_search_as_written(client, seeded, simple_engine):
    from articles.query_bounds import IncompleteSearch
    from articles.search import SearchParams, matching_ids

    for params in (
        SearchParams(outlet=["Al Jazeera"]),
        SearchParams(q="Lukashenko Kumtor"),
        SearchParams(q="Masimov~"),
    ):
        with pytest.raises(IncompleteSearch, match="search engine"):
            matching_ids(params)
    matches = matching_ids(SearchParams(q="Lukashenko"))
    assert matches.count == 3 and "cannot sort" in matches.message
    response = client.get("/api/search/export?format=jsonl&outlet=Al+Jazeera")
    assert response.status_code == 400 and "cannot filter" in response.json()["error"]


@pytest.mark.requires("facets")
def test_the_requires_marker_skips_on_an_engine_without_the_feature():
    assert engine.provides("facets")


def test_facet_options_are_in_each_engines_words():
    # haystack passes facet options to the engine as they are: Elasticsearch refuses `limit` and returns 10
    # values unless given a size; Solr lists every value in the index, with 0, unless given a mincount.
    elasticsearch = type("Elasticsearch7SearchBackend", (), {"__module__": "haystack.backends.elasticsearch7_backend"})
    solr = type("SolrSearchBackend", (), {"__module__": "haystack.backends.solr_backend"})
    assert engine.facet_options(elasticsearch()) == {"size": engine.ELASTICSEARCH_FACET_SIZE}
    assert engine.facet_options(solr()) == {"limit": -1, "mincount": 1}


def test_the_article_page_says_why_nothing_is_marked(client, seeded, simple_engine):
    article = seeded["002_1e562040c40c0d33.txt"]
    html = client.get(f"/articles/{article.pk}/?q=Massimov").content.decode()
    assert "<mark>" not in html and "does not mark the matched words" in html
    assert "does not mark" not in client.get(f"/articles/{article.pk}/").content.decode()


@pytest.mark.requires("highlighting")
def test_the_article_page_has_no_such_notice_where_the_engine_marks(client, seeded):
    article = seeded["002_1e562040c40c0d33.txt"]
    html = client.get(f"/articles/{article.pk}/?q=Massimov").content.decode()
    assert "<mark>" in html and "does not mark" not in html


def test_rebuild_index_runs_on_another_engine(seeded, simple_engine, capsys):
    # haystack's rebuild_index passed our --quiet on to clear_index, which refused it (TypeError) on every
    # engine but kzarchive's Whoosh.
    from django.core.management import call_command

    call_command("rebuild_index", "--noinput", "--quiet")
    call_command("rebuild_index", "--noinput")


def test_check_index_on_an_engine_without_an_index_says_so_instead_of_drift(seeded, simple_engine, capsys):
    from django.core.management import call_command

    call_command("check_index", "--quiet")
    assert "keeps no index" in capsys.readouterr().out
