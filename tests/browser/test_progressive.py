"""First results first in a real browser (articles/progressive.py, static/js/progressive.js): the page of a new
query says "more than N" and the script fills in the exact count, facets and pages; without JavaScript the
page has them from the start."""

from __future__ import annotations

import re

import pytest
from haystack import connections

from tests.browser.conftest import WATCH_CSP
from tests.test_progressive import PHRASED, WORD, make_skippable
from tests.test_views import HOSTILE_OUTLET, HOSTILE_WORD, make_hostile_article

pytestmark = pytest.mark.browser

PAGE = "/search/?q=Tokayev&page_size=2"


def test_the_script_fills_in_the_counts_of_a_page_sent_before_them(site):
    page = site.page
    page.add_init_script(WATCH_CSP)
    site.goto("/")  # the script runs once and sets its cookie
    assert any(c["name"] == "kz_js" and c["value"] == "1" for c in page.context.cookies())
    response = page.goto(site.base_url + PAGE)
    sent = response.text()
    assert "data-counts-url" in sent and "facets-pending" in sent  # the server did not wait for the facets
    assert "<strong>5</strong> articles" in sent  # no posting block skipped in five articles: exact at once
    site.settled()
    assert page.locator("#result-count").get_attribute("data-counts") == "exact"
    assert site.count() == 5
    assert "more than" not in page.locator("#result-count").inner_text()
    assert page.locator(".facet[data-facet='outlet'] li").count() >= 2
    assert page.locator("#facets-pending").count() == 0
    assert page.locator("#pagination .of").inner_text() == "page 1 of 3"
    assert page.locator("#export-summary").inner_text() == "Export all 5 results"
    assert page.evaluate("window.__csp") == [] and site.console_errors == [] and site.page_errors == []
    # The filled-in links work like the server's: narrow by an outlet, and its chip is there
    outlet = page.locator(".facet[data-facet='outlet'] a").first
    name, n = outlet.inner_text(), int(page.locator(".facet[data-facet='outlet'] .n").first.inner_text())
    with page.expect_navigation():
        outlet.click()
    assert site.count() == n
    assert page.locator(".chips a.chip").first.inner_text().startswith(f"outlet: {name}")
    assert page.evaluate("window.__csp") == []


def test_more_than_n_becomes_the_exact_count(site):
    page = site.page
    make_skippable(connections["default"].get_backend())  # committed: the live server sees it
    site.goto("/")
    # A phrase: its first page checks its candidates only until its top is certain (a lower bound).
    url = f"{site.base_url}/search/?q=%22{WORD}+{WORD}%22&page_size=10&spelling=exact"
    sent = page.goto(url).text()
    assert re.search(r"more than <strong>\d+</strong> articles", sent), "candidates were left: a lower bound"
    site.settled()
    assert page.locator("#result-count").inner_text().startswith(f"{PHRASED} articles")
    assert page.locator("#pagination .of").inner_text() == f"page 1 of {PHRASED // 10}"
    assert page.locator("#export-summary").inner_text() == f"Export all {PHRASED} results"


def test_without_javascript_the_page_has_its_counts_from_the_start(browser, live_server, seeded_committed):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.goto(live_server.url + PAGE)
        assert page.locator("#result-count strong").inner_text() == "5"
        assert "more than" not in page.locator("#result-count").inner_text()
        assert page.locator(".facet[data-facet='outlet'] li").count() >= 2
        assert page.locator("#pagination .of").inner_text() == "page 1 of 3"
        assert context.cookies() == []
    finally:
        context.close()


def test_a_browser_with_the_cookie_but_no_script_is_shown_the_way_to_its_counts(browser, live_server, seeded_committed):
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies([{"name": "kz_js", "value": "1", "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(live_server.url + PAGE)
        assert page.locator(".facet").count() == 0 and page.locator("#facets-pending").count() == 1
        with page.expect_navigation():
            page.get_by_role("link", name="show them").click()
        assert "exact=1" in page.url
        assert page.locator("#result-count strong").inner_text() == "5"
        assert page.locator(".facet[data-facet='outlet'] li").count() >= 2
    finally:
        context.close()


def test_hostile_names_filled_in_by_the_script_stay_text(site):
    page = site.page
    make_hostile_article()
    page.add_init_script(WATCH_CSP)
    site.goto("/")
    response = page.goto(f"{site.base_url}/search/?q={HOSTILE_WORD}+OR+Tokayev&page_size=1")
    assert "facets-pending" in response.text()
    site.settled()
    assert HOSTILE_OUTLET in page.locator(".facet[data-facet='outlet'] a").all_inner_texts()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('.facets img, .facets script').length") == 0
    assert page.evaluate("window.__csp") == [] and site.dialogs == []
