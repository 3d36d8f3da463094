"""First results first (articles/progressive.py): a new query's page is sent when its first page is ranked, and
its exact count and facets, fetched by static/js/progressive.js, are what the whole page would render.

Mostly the five seeds with 2 results a page (Tokayev matches all five); `skippable`, an archive where Whoosh
skips posting blocks, for "more than N". The references are pages rendered whole with the query cache off.
"""

from __future__ import annotations

import json

import pytest
from haystack import connections

from articles.models import Article
from articles.progressive import COOKIE
from articles.search import SearchParams, more_than, search_articles

pytestmark = pytest.mark.requires("whoosh")

PAGE = "/search/?q=Tokayev&page_size=2"


@pytest.fixture
def backend(seeded):
    backend = connections["default"].get_backend()
    backend._query_cache.clear()
    return backend


@pytest.fixture
def scripted(client):
    """A browser whose script has run once (it set the cookie)."""
    client.cookies[COOKIE] = "1"
    return client


def counts(client, url: str) -> dict:
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return json.loads(response.content)


def whole_page(client, url: str, settings) -> dict:
    """What the page renders without deferral, the query cache off (the uncached path), as counts() says it."""
    had = settings.KZARCHIVE_QUERY_CACHE if hasattr(settings, "KZARCHIVE_QUERY_CACHE") else True
    settings.KZARCHIVE_QUERY_CACHE = False
    try:
        response = client.get(url, HTTP_COOKIE="")  # no script cookie: rendered whole
    finally:
        settings.KZARCHIVE_QUERY_CACHE = had
    results, links = response.context["results"], response.context["facet_links"]
    assert not results.deferred
    facets = [
        {
            "name": name,
            "values": [{k: f[k] for k in ("label", "url", "count", "selected")} for f in values],
        }
        for name, values in links.items()
        if values
    ]
    return {
        "count": results.count,
        "count_exact": results.count_exact,
        "facets": facets,
        "num_pages": results.num_pages,
    }


def as_whole(data: dict) -> dict:
    return {
        "count": data["count"],
        "count_exact": data["count_exact"],
        "facets": [{"name": f["name"], "values": f["values"]} for f in data["facets"]],
        "num_pages": data["pagination"]["num_pages"],
    }


def test_more_than_is_a_round_number_below_what_was_seen():
    assert [more_than(n) for n in (0, 1, 2, 5, 10, 11, 99, 100, 101, 1234, 10_000, 10_001)] == [
        0,
        0,
        1,
        4,
        9,
        10,
        90,
        90,
        100,
        1000,
        9000,
        10_000,
    ]


def test_without_the_script_the_page_is_whole(backend, client):
    page = client.get(PAGE)
    html = page.content.decode()
    results = page.context["results"]
    assert not results.deferred and results.count == 5 and results.facets["outlet"]
    assert "more than" not in html and "data-counts-url" not in html and 'data-facet="outlet"' in html
    assert "Accept" in page["Vary"] and "Cookie" in page["Vary"]


def test_with_the_script_a_new_query_is_sent_before_its_facets(backend, scripted):
    page = scripted.get(PAGE)
    html = page.content.decode()
    results = page.context["results"]
    assert results.deferred and results.facets == {}
    # The five seeds fill no posting block: nothing was skipped, so the count is exact at once.
    assert results.count_more_than is None and results.count == 5
    assert "<strong>5</strong> articles" in html and "page 1 of 3" in html and "Export all 5 results" in html
    assert 'data-counts-url="/search/?q=Tokayev&amp;page_size=2"' in html
    assert "facets-pending" in html and 'data-facet="outlet"' not in html
    assert "exact=1" in html  # the <noscript> way to the whole page
    assert len(results.hits) == 2


def test_a_pass_that_saw_every_match_keeps_them_for_the_counts(backend, scripted, monkeypatch):
    scripted.get(PAGE)
    passes = []
    monkeypatch.setattr(backend, "_match_all", lambda *a, **k: passes.append(a))
    assert counts(scripted, PAGE)["count"] == 5 and passes == []  # answered from the kept matches


SKIPPABLE = 400  # articles of the skippable archive; the first 150 are the best matches of WORD
WORD = "zyxwquark"
PHRASED = 150  # those that say WORD twice in a row: the matches of the phrase "WORD WORD"


@pytest.fixture
def skippable(db, search_backend):
    return make_skippable(search_backend)


def make_skippable(search_backend):
    """An archive where Whoosh's block-quality skipping applies: WORD's postings fill four blocks of 128, the
    first two start with short articles that say it three times, the last two hold only long ones that say it
    once, so once the top is full of the first, the last blocks cannot reach it and are skipped."""
    filler = " ".join(f"filler{j}" for j in range(200))
    return make_archive(
        search_backend,
        [f"{WORD} {WORD} {WORD} short {i}." if i < 150 else f"{WORD} once, then {filler}." for i in range(SKIPPABLE)],
    )


def make_archive(search_backend, bodies: list[str], prefix: str = "skippable"):
    """Articles with these bodies, indexed in one batch (one segment, in this order)."""
    import hashlib

    from articles.search_indexes import ArticleIndex

    rows = []
    for i, body in enumerate(bodies):
        data = f"Article {i}\n\n{body}\n".encode()
        rows.append(
            Article(
                title=f"Article {i}",
                body=body,
                word_count=len(body.split()),
                source_file=f"{prefix}/{i:03}.txt",
                raw_bytes=data,
                raw_text=data.decode(),
                raw_encoding="utf-8",
                sha256=hashlib.sha256(data).hexdigest(),
                extractor="test",
            )
        )
    created = Article.objects.bulk_create(rows)
    search_backend.update(ArticleIndex(), Article.objects.filter(pk__in=[a.pk for a in created]).order_by("pk"))
    search_backend._query_cache.clear()
    return search_backend


@pytest.fixture
def whoosh_ranks_first_pages(monkeypatch):
    """First pages ranked by Whoosh's matchers with block skipping, as for a query whose matchers
    articles/whoosh/vectorised.py does not evaluate."""
    from articles.whoosh import vectorised

    monkeypatch.setattr(vectorised, "first_page", lambda *args: None)


def test_a_first_page_ranked_as_arrays_knows_its_count_at_once(skippable, scripted, settings, monkeypatch):
    url = f"/search/?q={WORD}&page_size=10&spelling=exact"
    page = scripted.get(url)
    results = page.context["results"]
    assert results.deferred and results.count_more_than is None and results.count == SKIPPABLE
    assert f"<strong>{SKIPPABLE}</strong> articles" in page.content.decode()
    passes = []
    monkeypatch.setattr(skippable, "_match_all", lambda *a, **k: passes.append(a))
    deferred = counts(scripted, url)  # from the matches the first page kept: no second pass
    assert deferred["count"] == SKIPPABLE and passes == []
    monkeypatch.undo()
    assert as_whole(deferred) == whole_page(scripted, url, settings)


def test_a_phrase_is_checked_only_until_its_top_is_certain(skippable, scripted, settings):
    # The short articles say the word three times in a row; the long ones once: only 150 have the phrase.
    url = f"/search/?q=%22{WORD}+{WORD}%22&page_size=10&spelling=exact"
    page = scripted.get(url)
    results = page.context["results"]
    assert results.deferred and results.count_more_than == more_than(10) and len(results.hits) == 10
    deferred = counts(scripted, url)
    assert deferred["count"] == PHRASED
    assert as_whole(deferred) == whole_page(scripted, url, settings)
    settings.KZARCHIVE_QUERY_CACHE = False
    whole = search_articles(SearchParams(q=f'"{WORD} {WORD}"', page_size=10, spelling="exact"))
    assert [(h.article.pk, h.score) for h in results.hits] == [(h.article.pk, h.score) for h in whole.hits]


def test_when_blocks_are_skipped_the_count_is_more_than_n_until_the_counts_come(
    skippable, scripted, settings, whoosh_ranks_first_pages
):
    # Exact spelling: with variants the word is also looked up among spelling keys, whose blocks all qualify.
    url = f"/search/?q={WORD}&page_size=10&spelling=exact"
    page = scripted.get(url)
    results = page.context["results"]
    assert results.deferred and results.count_more_than is not None
    assert results.count_more_than < results.count < SKIPPABLE  # blocks were skipped: seen is a lower bound
    html = page.content.decode()
    assert f"more than <strong>{results.count_more_than}</strong> articles" in html
    assert "page 1 of …" in html and "Export all results" in html
    deferred = counts(scripted, url)
    assert deferred["count"] == SKIPPABLE
    assert as_whole(deferred) == whole_page(scripted, url, settings)
    settings.KZARCHIVE_QUERY_CACHE = False
    whole = search_articles(SearchParams(q=WORD, page_size=10, spelling="exact"))
    assert [(h.article.pk, h.score) for h in results.hits] == [(h.article.pk, h.score) for h in whole.hits]


@pytest.mark.parametrize("ranked_by", ["arrays", "whoosh"])
def test_a_deleted_article_is_never_a_first_result(
    db, search_backend, settings, django_capture_on_commit_callbacks, request, ranked_by
):
    # One good match, 255 weak ones, then the best match, deleted. Once the top is full, the weak blocks are
    # skipped and the skip lands on the deleted article: Whoosh took it for a match (articles/whoosh/skipping.py).
    if ranked_by == "whoosh":
        request.getfixturevalue("whoosh_ranks_first_pages")
    filler = " ".join(f"filler{j}" for j in range(200))
    bodies = [f"{WORD} {WORD} short."] + [f"{WORD} once, then {filler}."] * 255 + [f"{WORD} {WORD} {WORD}."] * 2
    make_archive(search_backend, bodies)
    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.get(source_file="skippable/256.txt").delete()
    search_backend._query_cache.clear()
    params = SearchParams(q=WORD, page_size=1, spelling="exact")
    fast = search_articles(params, first_page_only=True)
    settings.KZARCHIVE_QUERY_CACHE = False
    whole = search_articles(params)
    assert whole.count == len(bodies) - 1
    assert [h.article.source_file for h in fast.hits] == ["skippable/257.txt"]
    assert [(h.article.pk, h.score) for h in fast.hits] == [(h.article.pk, h.score) for h in whole.hits]


def test_the_first_page_is_the_full_passes_first_page(backend, scripted, client, settings):
    for q in ("Tokayev", "Kazakhstan", "protest*", "goverment~", "CSTO OR ODKB", "Tokayev -Russia"):
        backend._query_cache.clear()
        fast = search_articles(SearchParams(q=q, page_size=2), first_page_only=True)
        settings.KZARCHIVE_QUERY_CACHE = False
        whole = search_articles(SearchParams(q=q, page_size=2))
        settings.KZARCHIVE_QUERY_CACHE = True
        assert [(h.article.pk, h.score) for h in fast.hits] == [(h.article.pk, h.score) for h in whole.hits], q
        assert fast.count <= whole.count, q
        if fast.count_more_than is None:  # the count was known at once (the top was not full)
            assert fast.count == whole.count, q
        else:
            assert fast.count_more_than < whole.count, q


QUERIES = [
    PAGE,
    "/search/?q=Kazakhstan&page_size=2",
    "/search/?q=Kazakhstan&page_size=2&page=2",
    "/search/?q=protest*&page_size=1",
    "/search/?q=Tokayev&page_size=2&outlet=Al+Jazeera",
    "/search/?q=Tokayev&page_size=2&year=2022&year=(unknown)",
    "/search/?q=goverment~&page_size=1",
    "/outlets/informnapalm/?q=Kazakhstan&page_size=1",
]


@pytest.mark.parametrize("url", QUERIES)
def test_the_deferred_counts_are_the_whole_pages(backend, scripted, url, settings):
    page = scripted.get(url)
    assert page.status_code == 200
    deferred = counts(scripted, url)
    assert as_whole(deferred) == whole_page(scripted, url, settings)
    assert scripted.get(url).context["results"].deferred is False  # its counts are kept: whole at once


def test_after_an_edit_and_a_deletion_the_counts_are_still_the_whole_pages(
    backend, scripted, settings, django_capture_on_commit_callbacks
):
    url = "/search/?q=Tokayev&page_size=2"
    assert as_whole(counts(scripted, url)) == whole_page(scripted, url, settings)
    article = Article.objects.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        article.title = f"{article.title} Tokayev"
        article.source = None
        article.save()
    assert scripted.get(url).context["results"].deferred  # a new generation: the query is new again
    after_edit = counts(scripted, url)
    assert as_whole(after_edit) == whole_page(scripted, url, settings)
    assert any(v["label"] == "Unknown outlet" for f in after_edit["facets"] for v in f["values"])
    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.filter(pk=article.pk).delete()
    assert scripted.get(url).context["results"].deferred
    after_delete = counts(scripted, url)
    assert after_delete["count"] == 4
    assert as_whole(after_delete) == whole_page(scripted, url, settings)


def test_notices_show_on_a_deferred_page(backend, scripted):
    page = scripted.get("/search/?q=Tokayev&page_size=2&outlet=Al+Jazeeera").content.decode()
    assert "No article in the archive has outlet “Al Jazeeera”." in page and "Did you mean" in page
    page = scripted.get("/search/?q=body:Tokayev&page_size=1").content.decode()
    assert "is not a field you can search" in page


def test_a_filter_that_matches_nothing_is_answered_whole(backend, scripted):
    page = scripted.get("/search/?q=Tokayev&page_size=2&year=1999")
    results = page.context["results"]
    assert not results.deferred and results.count == 0
    assert "No article in the archive has year “1999”." in page.content.decode()


def test_exact_1_and_sorts_by_date_are_never_deferred(backend, scripted):
    assert not scripted.get(PAGE + "&exact=1").context["results"].deferred
    assert not scripted.get(PAGE + "&sort=newest").context["results"].deferred
    assert not scripted.get("/search/?page_size=2").context["results"].deferred  # browsing: no query


def test_the_api_counts_are_the_pages(backend, scripted, client, settings):
    scripted.get(PAGE)
    data = json.loads(client.get("/api/search?q=Tokayev&page_size=2").content)
    whole = whole_page(scripted, PAGE, settings)
    assert data["count"] == whole["count"] and data["count_exact"]
    outlets = {v["value"]: v["count"] for v in data["facets"]["outlet"]}
    page_outlets = next(f for f in whole["facets"] if f["name"] == "outlet")["values"]
    assert {v["label"]: v["count"] for v in page_outlets} == {
        ("Unknown outlet" if k == "(unknown)" else k): n for k, n in outlets.items()
    }


def test_the_script_is_a_static_file_the_policy_allows(backend, scripted):
    page = scripted.get(PAGE)
    html = page.content.decode()
    assert '<script src="/static/js/progressive.js" defer></script>' in html
    assert "<script>" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_other_engines_answer_everything_at_once(seeded, simple_engine, scripted):
    results = search_articles(SearchParams(q="Lukashenko"), first_page_only=True)
    assert not results.deferred and results.count == 3
    assert not scripted.get("/search/?q=Lukashenko").context["results"].deferred
