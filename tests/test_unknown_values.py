"""No dead ends: "not known" is a value researchers can count and filter, and every credited person has a page.

The seeds: 004 names no outlet; 001 and 004 name no author; 003 credits a translator (Victria Batarchuk)
and an editor (Artem Velichko) besides its author.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError

from articles.ingest import ingest_bytes
from articles.models import UNKNOWN_VALUE, Article, Person, Source, StanceCategory
from articles.search import SearchParams, search_articles
from tests.test_views import T000, T001, T003, T004, page


def api(client, **params):
    response = client.get("/api/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def facet(data, name):
    return {f["value"]: f["count"] for f in data["facets"][name]}


def titles(data):
    return {r["title"] for r in data["results"]}


def test_unknown_is_counted_and_filterable_in_the_api(client, seeded):
    data = api(client)
    assert facet(data, "outlet")[UNKNOWN_VALUE] == 1
    assert facet(data, "author")[UNKNOWN_VALUE] == 2
    assert UNKNOWN_VALUE not in facet(data, "stance")  # every seed is coded
    # every facet's counts add up to the results (a multi-valued one to at least that)
    assert sum(facet(data, "outlet").values()) == sum(facet(data, "stance").values()) == data["count"] == 5

    assert titles(api(client, outlet=UNKNOWN_VALUE)) == {T004}
    assert titles(api(client, author=UNKNOWN_VALUE)) == {T001, T004}
    assert titles(api(client, author=UNKNOWN_VALUE, q="CSTO", sort="relevance")) == {T001, T004}
    assert titles(api(client, outlet=[UNKNOWN_VALUE, "PolitNavigator"])) == {T000, T004}  # either
    assert titles(api(client, outlet=UNKNOWN_VALUE, author=UNKNOWN_VALUE)) == {T004}  # both
    assert api(client, stance=UNKNOWN_VALUE)["count"] == 0
    assert api(client, year=UNKNOWN_VALUE)["count"] == 0


def test_unknown_stance_and_date_are_values_too(db, search_backend, django_capture_on_commit_callbacks):
    text = (
        b"Undated notes on the unrest\n\n"
        + b"Protesters gathered in Almaty for a third day and the police watched. " * 4
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest_bytes("undated.txt", text)
    results = search_articles(SearchParams(stance=[UNKNOWN_VALUE], year=[UNKNOWN_VALUE]))
    assert [h.article.pk for h in results.hits] == [outcome.article_id]
    assert [(f.value, f.count) for f in results.facets["year"]] == [(UNKNOWN_VALUE, 1)]


def test_unknown_outlet_is_reachable_from_the_facet_and_the_outlets_page(client, seeded):
    home = page(client, "/")
    assert home.facet("outlet")["Unknown outlet"] == 1
    href = home.facet_hrefs[("outlet", "Unknown outlet")]
    assert parse_qs(urlsplit(href).query) == {"outlet": [UNKNOWN_VALUE]}
    filtered = page(client, "/" + href)
    assert (filtered.count, filtered.titles) == (1, [T004])
    assert filtered.chips[0][0] == "outlet: Unknown outlet"

    outlets = page(client, "/outlets/").html
    link = re.search(r'<li class="unknown"><a href="([^"]+)">Unknown outlet</a> <span class="n">1</span>', outlets)
    assert link, "no Unknown outlet entry on /outlets/"
    assert page(client, link.group(1).replace("&amp;", "&")).titles == [T004]

    people = page(client, "/people/").html
    link = re.search(r'<li class="unknown"><a href="([^"]+)">No author named</a> <span class="n">2</span>', people)
    assert link, "no entry for articles without an author on /people/"
    assert set(page(client, link.group(1)).titles) == {T001, T004}

    article = page(client, f"/articles/{seeded['004_0023f067e5c2ca8b.txt'].pk}/").html
    assert '<a href="/?outlet=%28unknown%29">Unknown outlet</a>' in article
    assert '<a href="/?author=%28unknown%29">Not named in the text</a>' in article


def test_a_translator_page_lists_her_translation(client, seeded):
    html = page(client, "/people/victria-batarchuk/").html
    assert "0 articles" not in html
    assert "Credited on 1 article:" in html and "translator of 1" in html
    assert f">{T003}</a></h2>" in html and '<span class="role">Translator</span>' in html
    assert "Search and filter the articles" not in html  # she wrote none
    author = page(client, "/people/sofia-hriniova/").html
    assert '<span class="role">Author</span>' in author and "/?author=Sofia+Hriniova" in author
    people = page(client, "/people/").html
    assert '<a href="/people/victria-batarchuk/">Victria Batarchuk</a> <span class="n">1</span>' in people
    assert "(translator 1)" in people and "(editor 1)" in people
    # the article page links every credited person
    assert (
        '<a href="/people/victria-batarchuk/">Victria Batarchuk</a>'
        in page(client, f"/articles/{seeded['003_1d74b9649cbe830b.txt'].pk}/").html
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [("/authors/", "/people/"), ("/authors/victria-batarchuk/", "/people/victria-batarchuk/")],
)
def test_old_author_addresses_keep_working(client, seeded, old, new):
    response = client.get(old)
    assert (response.status_code, response["Location"]) == (301, new)
    assert client.get(old, follow=True).status_code == 200


def test_no_outlet_person_or_stance_can_be_named_like_the_unknown_value(db, search_backend):
    for model, extra in (
        (Source, {"slug": "x"}),
        (Person, {"slug": "x"}),
        (StanceCategory, {"slug": "x", "description": "d"}),
    ):
        with pytest.raises(ValidationError):
            model(name=" (Unknown) ", **extra).full_clean()
    page_html = (
        '<html><head><title>Story</title><meta property="og:site_name" content="(unknown)">'
        '<meta name="author" content="(unknown)"></head><body><article><p>'
        + "Protesters gathered in Almaty for a third day and the police watched them closely. " * 4
        + "</p></article></body></html>"
    ).encode()
    outcome = ingest_bytes("claims-unknown.html", page_html)
    article = Article.objects.get(pk=outcome.article_id)
    assert article.source is None and not Source.objects.filter(name__iexact=UNKNOWN_VALUE).exists()
    assert not Person.objects.filter(name__iexact=UNKNOWN_VALUE).exists()
