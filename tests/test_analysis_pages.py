"""The analysis pages through Django's test client: reachable from a search with its filters, charts
with their tables, nothing that runs, and article text shown escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_views import HOSTILE_WORD, SCRIPT, make_hostile_article

TOOLS = ("concordance", "trends", "compare", "timeline")


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def links(self, css_class: str | None = None) -> dict[str, str]:
        return {a.get("href"): a for t, a in self.tags if t == "a" and a.get("href")}


def get_page(client, url: str, status: int = 200) -> Tags:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = Tags(response.content.decode())
    for tag, attrs in page.tags:
        # The one script of every page is ours, a file of this site (static/js/progressive.js); none inline.
        assert tag != "script" or attrs == {"src": "/static/js/progressive.js", "defer": None}, (url, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (url, tag, name)
            if name == "href":
                assert not (value or "").strip().lower().startswith("javascript:"), (url, value)
    return page


def tool_hrefs(page: Tags) -> dict[str, str]:
    out = {}
    for href in page.links():
        for tool in TOOLS:
            if href.startswith(f"/analysis/{tool}/"):
                out[tool] = href
    return out


def test_search_results_link_to_the_four_tools_with_the_search(client, seeded):
    page = get_page(client, "/search/?q=Tokayev&outlet=Al+Jazeera&sort=newest&page=1")
    hrefs = tool_hrefs(page)
    assert set(hrefs) == set(TOOLS)
    for tool in ("concordance", "trends", "timeline"):
        query = parse_qs(urlsplit(hrefs[tool]).query)
        assert query == {"q": ["Tokayev"], "outlet": ["Al Jazeera"], "sort": ["newest"]}
    assert parse_qs(urlsplit(hrefs["compare"]).query) == {
        "a.q": ["Tokayev"],
        "a.outlet": ["Al Jazeera"],
        "a.sort": ["newest"],
    }


def test_preset_pages_pass_their_preset_to_the_tools(client, seeded):
    hrefs = tool_hrefs(get_page(client, "/outlets/informnapalm/"))
    assert parse_qs(urlsplit(hrefs["timeline"]).query) == {"outlet": ["InformNapalm"]}
    hrefs = tool_hrefs(get_page(client, "/dates/2022/1/"))
    assert parse_qs(urlsplit(hrefs["trends"]).query) == {
        "from": ["2022-01-01"],
        "to": ["2022-01-31"],
        "sort": ["oldest"],
    }


def test_no_tool_links_when_nothing_matches(client, seeded):
    assert tool_hrefs(get_page(client, "/search/?q=zzzznothing")) == {}


@pytest.mark.parametrize(
    "url, marker",
    [
        ("/analysis/concordance/?q=Tokayev&outlet=Al+Jazeera", 'id="line-count"'),
        ("/analysis/trends/?q=Tokayev&split=outlet", 'id="trends-table"'),
        ("/analysis/compare/?a.outlet=PolitNavigator&b.outlet=Al+Jazeera", 'id="compare-summary"'),
        ("/analysis/timeline/?q=Tokayev", 'id="timeline-table"'),
    ],
)
def test_each_tool_page_with_nav_back_link_and_downloads(client, seeded, url, marker):
    page = get_page(client, url)
    assert marker in page.html
    links = page.links()
    back = next(h for h in links if h.startswith("/search/?") or h == "/search/")
    if "Tokayev" in url:
        assert parse_qs(urlsplit(back).query)["q"] == ["Tokayev"]
    assert set(tool_hrefs(page)) | {url.split("/")[2]} == set(TOOLS)  # the others linked, this one current
    assert any("/api/analysis/" in h and "format=csv" in h for h in links)


@pytest.mark.parametrize(
    "url",
    ["/analysis/trends/?q=Tokayev&split=outlet", "/analysis/timeline/", "/analysis/compare/?a.outlet=PolitNavigator"],
)
def test_charts_are_svg_with_a_title_beside_a_table(client, seeded, url):
    page = get_page(client, url)
    svgs = [a for t, a in page.tags if t == "svg"]
    assert svgs and all(a.get("role") == "img" and a.get("aria-labelledby") for a in svgs)
    assert page.html.count("<title id=") == len(svgs)
    assert "<table" in page.html


@pytest.mark.parametrize("q", ["Peskov", "CSTO"])  # CSTO: in 003's list items and headings too
def test_concordance_lines_link_to_the_passage(client, seeded, q):
    page = get_page(client, f"/analysis/concordance/?q={q}&page_size=500")
    hrefs = [h for h in page.links() if h.startswith("/articles/")]
    assert hrefs
    details = {}
    for href in hrefs:
        article_url, _, anchor = href.partition("#")
        assert re.fullmatch(r"p\d+", anchor)
        detail = details.setdefault(article_url, client.get(article_url).content.decode())
        element = re.search(rf'<(p|li|h2) id="{anchor}">(.*?)</\1>', detail, re.S)
        assert element is not None, href
        assert f"<mark>{q}</mark>" in element.group(2), href


def test_trends_page_lists_what_it_does_not_place(client, seeded):
    page = get_page(client, "/analysis/trends/?by=day")
    assert 'id="not-placed"' in page.html and "The dust is settling" in page.html
    assert "Not placed in days: 4 articles" in page.html


def test_compare_form_keeps_the_sets(client, seeded):
    page = get_page(
        client,
        "/analysis/compare/?a.q=Tokayev&a.outlet=InformNapalm&b.stance=Analytical,+no+clear+side&b.author=X&ngram=2",
    )
    inputs = {a.get("name"): a.get("value") for t, a in page.tags if t == "input"}
    assert inputs["a.q"] == "Tokayev" and inputs["b.author"] == "X" and inputs["ngram"] == "2"
    selected = [a for t, a in page.tags if t == "option" and "selected" in a]
    assert len(selected) == 2


def test_bad_parameters_show_a_message_not_an_error(client, seeded):
    for url in ("/analysis/concordance/", "/analysis/trends/?by=decade", "/analysis/compare/?a.to=never"):
        page = get_page(client, url)
        assert 'class="notice" role="alert"' in page.html


def test_hostile_text_is_shown_escaped_in_the_tools(client, seeded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_hostile_article()
        article.body += f"\n\nOn January 8 {SCRIPT} was seen."  # a day for the timeline to show
        article.save()
    for url in (
        f"/analysis/concordance/?q={HOSTILE_WORD}",
        "/analysis/concordance/?q=script&context=30",
        f"/analysis/timeline/?q={HOSTILE_WORD}",
        f"/analysis/trends/?q={HOSTILE_WORD}&split=outlet",
        f"/analysis/compare/?a.q={HOSTILE_WORD}",
    ):
        page = get_page(client, url)
        assert "&lt;script&gt;" in page.html, url
        assert SCRIPT not in page.html, url
