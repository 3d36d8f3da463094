"""The search pages keep the researcher's whole search and say plainly what they could not do (issue 10,
items 4 and 8): links to articles and back, the spelling suggestion, quoted queries, empty results, and
notices for a query the engine could not read."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from articles.search import SearchParams, search_articles
from tests.test_views import NEWEST, page


def hit_links(html: str) -> list[str]:
    return [html_lib.unescape(h) for h in re.findall(r'<li class="hit">.*?<h2><a href="([^"]+)"', html, flags=re.S)]


@pytest.mark.requires("filters", "highlighting")
def test_article_links_carry_the_whole_search_and_the_article_links_back_to_it(client, seeded):
    listing = "/search/?q=Tokayev&outlet=Al+Jazeera&outlet=InformNapalm&sort=newest&page_size=1&page=2"
    links = hit_links(page(client, listing).html)
    assert len(links) == 1
    query = parse_qs(urlsplit(links[0]).query)
    assert query == {"q": ["Tokayev"], "back": [listing]}
    article = client.get(links[0])
    assert article.context["back_url"] == listing
    assert f'href="{html_lib.escape(listing)}"' in article.content.decode()
    assert "<mark>Tokayev</mark>" in article.content.decode()


@pytest.mark.requires("filters")
def test_browse_pages_link_back_to_themselves(client, seeded):
    for listing in ("/outlets/al-jazeera/?sort=oldest", "/dates/2022/1/?page_size=2&page=2", "/?year=2022&page_size=2"):
        links = hit_links(page(client, listing).html)
        assert links, listing
        for link in links:
            assert client.get(link).context["back_url"] == listing


def test_the_way_back_never_leads_to_another_site(client, seeded):
    article = next(iter(seeded.values()))
    for back in ("https://evil.example/", "//evil.example/search/", "javascript:alert(1)", "/\\evil.example"):
        response = client.get(f"/articles/{article.pk}/", {"q": "Tokayev", "back": back})
        assert response.context["back_url"] == "/search/?q=Tokayev", back
    assert client.get(f"/articles/{article.pk}/", {"back": "https://evil.example/"}).context["back_url"] is None


def test_back_link_from_a_browse_listing_without_a_query(client, seeded):
    article = next(iter(seeded.values()))
    html = client.get(f"/articles/{article.pk}/", {"back": "/?sort=oldest"}).content.decode()
    assert '<a href="/?sort=oldest">← Back to results</a>' in html


@pytest.mark.requires("suggestions", "filters")
def test_the_spelling_suggestion_keeps_filters_and_sort(client, seeded):
    p = page(client, "/search/?q=Tokaiev&outlet=Al+Jazeera&sort=newest&page_size=5&spelling=exact")
    assert (
        'Did you mean <a href="?q=tokayev&amp;outlet=Al+Jazeera&amp;sort=newest&amp;page_size=5&amp;spelling=exact">'
        "tokayev</a>" in p.html
    )


def test_a_quoted_query_is_not_quoted_again(client, seeded):
    html = page(client, '/search/?q="Security+Council"').html
    assert "“&quot;" not in html and "&quot;”" not in html
    assert 'articles</span> for <code class="query">&quot;Security Council&quot;</code>' in html
    assert "articles</span> for “Tokayev”" in page(client, "/search/?q=Tokayev").html


@pytest.mark.requires("sorting", "filters")
def test_no_sort_controls_on_a_page_without_results(client, seeded):
    assert 'class="sort"' not in page(client, "/search/?q=zzyzx").html
    assert 'class="sort"' not in page(client, "/?year=1999").html
    p = page(client, "/search/?q=Tokayev&sort=newest")
    assert 'class="sort"' in p.html and p.titles == NEWEST


@pytest.mark.requires("query_language")
def test_an_unreadable_query_is_explained_in_words_not_exception_names(seeded):
    results = search_articles(SearchParams(q="Tokayev published:[2022 TO x]"))
    assert results.message == (
        "“published:[2022 TO x]” could not be read as a search; showing articles with the words of your query instead."
    )
    assert results.count == 0  # no article has all of "Tokayev published 2022 TO x" as words


@pytest.mark.requires("query_language")
def test_a_field_that_does_not_exist_is_named_not_silently_searched_as_words(client, seeded):
    results = search_articles(SearchParams(q="body:Tokayev"))
    assert results.count == 0
    assert results.message == (
        "“body:” is not a field you can search, so these results are not a search of it. "
        "Fields: title:, author:, outlet:."
    )
    assert "“body:” is not a field" in page(client, "/search/?q=body:Tokayev").html
    harmless = ("title:Pandora", "by:Hriniova", "http://example.org Tokayev", '"Security Council: report"', "13:15")
    for q in (*harmless, "Tokayev: coup", "outlet:PolitNavigator"):
        assert search_articles(SearchParams(q=q)).message == "", q
