"""The analysis tools in a real browser: from a search to each tool and back, with the search kept, under
the site's strict CSP (a violated policy would be reported as a securitypolicyviolation event)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.test_admin_csp import WATCH_CSP

pytestmark = pytest.mark.browser

SEARCH = "/search/?q=Tokayev&outlet=Al+Jazeera&outlet=InformNapalm"


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def open_search(site):
    site.page.add_init_script(WATCH_CSP)
    site.goto(SEARCH)
    assert site.count() == 2
    return site.page


@pytest.mark.parametrize(
    "tool, marker",
    [
        ("Concordance", "#line-count"),
        ("Trends", "#trends-table"),
        ("Compare", "#compare-summary"),
        ("Timeline", "#timeline-table"),
    ],
)
def test_from_a_search_to_each_tool_and_back(site, tool, marker):
    page = open_search(site)
    links = page.get_by_role("navigation", name="Analyse these results")
    with page.expect_navigation():
        links.get_by_role("link", name=tool).click()
    assert urlsplit(page.url).path == f"/analysis/{tool.lower()}/"
    prefix = "a." if tool == "Compare" else ""
    assert query_of(page.url)[prefix + "q"] == ["Tokayev"]
    assert query_of(page.url)[prefix + "outlet"] == ["Al Jazeera", "InformNapalm"]
    assert page.locator(marker).is_visible()
    assert page.locator("h1").inner_text().startswith(tool)
    site.screenshot(f"analysis-{tool.lower()}")
    assert page.evaluate("window.__csp") == [] and site.page_errors == []
    with page.expect_navigation():
        page.get_by_role("link", name="← Back to the search").click()
    if tool == "Compare":  # Compare's own search is set A; back goes to the plain search page
        assert urlsplit(page.url).path == "/search/"
        return
    assert query_of(page.url) == {"q": ["Tokayev"], "outlet": ["Al Jazeera", "InformNapalm"]}
    assert site.count() == 2


def test_a_concordance_line_opens_the_article_at_its_passage(site):
    page = open_search(site)
    with page.expect_navigation():
        page.get_by_role("navigation", name="Analyse these results").get_by_role("link", name="Concordance").click()
    first = page.locator("table.kwic td.match a").first
    with page.expect_navigation():
        first.click()
    anchor = urlsplit(page.url).fragment
    assert anchor.startswith("p")
    paragraph = page.locator(f"#{anchor}")
    assert paragraph.locator("mark").first.inner_text().lower() == "tokayev"
    assert paragraph.is_visible()
    assert page.evaluate("window.__csp") == []


def test_compare_form_and_sorting_in_the_browser(site):
    site.page.add_init_script(WATCH_CSP)
    site.goto("/analysis/compare/")
    page = site.page
    page.locator("select#a\\.outlet").select_option("PolitNavigator")
    page.locator("select#b\\.outlet").select_option("Al Jazeera")
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").click()
    assert query_of(page.url)["a.outlet"] == ["PolitNavigator"]
    a_words = page.locator("section.side").first.locator("tbody th a").all_inner_texts()
    assert "forces" in a_words
    with page.expect_navigation():
        page.locator("section.side").first.get_by_role("link", name="forces", exact=True).click()
    assert urlsplit(page.url).path == "/analysis/concordance/"
    assert query_of(page.url) == {"outlet": ["PolitNavigator"], "kw": ["forces"]}
    assert page.locator("table.kwic tbody tr").count() >= 11
    with page.expect_navigation():
        page.get_by_role("link", name="R1").click()
    cells = page.locator("table.kwic td.right").all_inner_texts()
    first_words = [(re.findall(r"\w+", t) or [""])[0].lower() for t in cells]
    assert first_words == sorted(first_words)
    site.screenshot("analysis-concordance-r1")
    assert page.evaluate("window.__csp") == []


def test_tools_at_phone_width(phone_site):
    phone_site.page.add_init_script(WATCH_CSP)
    for path in (
        "/analysis/trends/?q=Tokayev&split=outlet",
        "/analysis/timeline/",
        "/analysis/compare/?a.outlet=PolitNavigator",
    ):
        phone_site.goto(path)
        assert phone_site.scroll_width() <= 375 + 1, path  # wide tables scroll inside their box
        assert phone_site.page.evaluate("window.__csp") == []
        phone_site.screenshot("analysis-phone-" + path.split("/")[2])
