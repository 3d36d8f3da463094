"""What a reader does in a real browser: search, narrow, sort, page, read, go back, use the keyboard,
read on a phone; and a hostile article that must stay text.

Exact results on the five seed articles (see tests/test_views.py for the titles and orders).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import WATCH_CSP
from tests.test_views import (
    ALL_TITLES,
    HOSTILE_AUTHOR,
    HOSTILE_OUTLET,
    HOSTILE_TITLE,
    HOSTILE_WORD,
    NEWEST,
    OLDEST,
    T000,
    T001,
    T002,
    T003,
    T004,
    make_hostile_article,
)

pytestmark = pytest.mark.browser


def search_from_box(site, query: str):
    box = site.page.get_by_role("searchbox", name="Search the archive")
    box.fill(query)
    with site.page.expect_navigation():
        box.press("Enter")


def test_search_box_submits_and_lists_results(site):
    site.goto("/")
    assert site.count() == 5
    search_from_box(site, "Massimov")
    assert re.search(r"/search/\?q=Massimov$", site.page.url)
    assert site.page.title() == "Search: Massimov · kzarchive"
    assert site.count() == 4  # "Masimov" in the fourth is the same name (spelling variants, issue 13)
    assert set(site.titles()) == {T000, T001, T002, T003}
    assert site.page.locator(".hits .snippet mark").count() >= 3
    # the button works too
    site.page.get_by_role("searchbox", name="Search the archive").fill("Pandora")
    with site.page.expect_navigation():
        site.page.get_by_role("button", name="Search", exact=True).click()
    assert site.count() == 1
    assert site.titles() == [T003]


def test_facet_then_chip_roundtrip(site):
    page = site.page
    site.goto("/search/?q=Tokayev")
    assert site.count() == 5
    assert page.locator(".chips").count() == 0

    stance = page.locator('.facet[data-facet="stance"]')
    with page.expect_navigation():
        stance.get_by_role("link", name="Critical of Russia's role").click()
    assert site.count() == 2
    assert set(site.titles()) == {T003, T004}
    chip = page.get_by_role("link", name="Remove filter stance: Critical of Russia's role")
    assert chip.is_visible()
    assert stance.locator("a.selected").inner_text() == "Critical of Russia's role"

    outlet = page.locator('.facet[data-facet="outlet"]')
    assert outlet.locator("li").all_inner_texts() == ["InformNapalm 1", "Unknown outlet 1"]
    with page.expect_navigation():
        outlet.get_by_role("link", name="InformNapalm").click()
    assert site.count() == 1
    assert site.titles() == [T003]
    assert page.locator(".chips a.chip").count() == 2

    with page.expect_navigation():
        chip.click()
    assert site.count() == 1  # the outlet filter stays
    assert page.locator(".chips a.chip").count() == 1
    with page.expect_navigation():
        page.get_by_role("link", name="Remove filter outlet: InformNapalm").click()
    assert site.count() == 5
    assert set(site.titles()) == ALL_TITLES
    assert page.locator(".chips").count() == 0
    assert page.get_by_role("searchbox", name="Search the archive").input_value() == "Tokayev"


def test_sort_newest_and_oldest(site):
    page = site.page
    site.goto("/search/?q=Tokayev")
    sort = page.locator(".sort")
    assert sort.locator('[aria-current="true"]').inner_text() == "Relevance"
    with page.expect_navigation():
        sort.get_by_role("link", name="Newest").click()
    assert site.titles() == NEWEST
    assert sort.locator('[aria-current="true"]').inner_text() == "Newest"
    with page.expect_navigation():
        sort.get_by_role("link", name="Oldest").click()
    assert site.titles() == OLDEST
    with page.expect_navigation():
        sort.get_by_role("link", name="Relevance").click()
    assert set(site.titles()) == ALL_TITLES


def test_paging_next_and_previous(site):
    page = site.page
    site.goto("/search/?q=Tokayev&sort=oldest&page_size=2")
    pager = page.get_by_role("navigation", name="Pages")
    assert pager.locator(".of").inner_text() == "page 1 of 3"
    assert site.titles() == OLDEST[0:2]
    assert pager.get_by_role("link", name="← Previous").count() == 0
    with page.expect_navigation():
        pager.get_by_role("link", name="Next →").click()
    assert site.titles() == OLDEST[2:4]
    assert pager.locator('[aria-current="page"]').inner_text() == "2"
    with page.expect_navigation():
        pager.get_by_role("link", name="Next →").click()
    assert site.titles() == OLDEST[4:]
    assert pager.locator(".of").inner_text() == "page 3 of 3"
    assert pager.get_by_role("link", name="Next →").count() == 0
    assert site.count() == 5  # the total, not the page
    with page.expect_navigation():
        pager.get_by_role("link", name="← Previous").click()
    assert site.titles() == OLDEST[2:4]
    with page.expect_navigation():
        pager.get_by_role("link", name="1", exact=True).click()
    assert site.titles() == OLDEST[0:2]


def test_open_article_highlights_and_back_keeps_the_results(site):
    page = site.page
    site.goto("/")
    search_from_box(site, "Massimov")
    with page.expect_navigation():
        page.locator(".sort").get_by_role("link", name="Oldest").click()
    before = site.titles()
    assert before == [T003, T001, T002, T000]

    with page.expect_navigation():
        page.get_by_role("link", name=T001, exact=True).click()
    assert re.search(r"/articles/\d+/\?q=Massimov&back=%2Fsearch%2F%3Fq%3DMassimov%26sort%3Doldest$", page.url)
    assert page.locator("h1").inner_text() == T001
    marks = page.locator(".body mark").all_inner_texts()
    assert marks, "no highlighted words in the article body"
    assert all(m.casefold().startswith("massimov") for m in marks), marks
    assert page.locator(".body mark").first.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.get_by_role("link", name="← Back to results for “Massimov”").is_visible()

    page.go_back()
    assert re.search(r"/search/\?q=Massimov&sort=oldest$", page.url)
    assert site.count() == 4
    assert site.titles() == before
    assert page.locator(".sort [aria-current]").inner_text() == "Oldest"
    assert page.get_by_role("searchbox", name="Search the archive").input_value() == "Massimov"


def _tab_until(page, predicate_js: str, limit: int) -> int:
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return n
    raise AssertionError(f"not reached with {limit} presses of Tab: {predicate_js}")


def _focus_ring(page) -> tuple[str, float]:
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )


def test_keyboard_reaches_search_box_and_first_result(site):
    page = site.page
    site.goto("/search/?q=Massimov")
    # skip link first, visible when focused
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    box = page.locator(".skip").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0
    assert _tab_until(page, "document.activeElement.id === 'q'", 4) <= 3
    style, width = _focus_ring(page)
    assert style != "none" and width >= 2, (style, width)

    first = "document.activeElement === document.querySelector('.hits .hit h2 a')"
    _tab_until(page, first, 30)
    style, width = _focus_ring(page)
    assert style != "none" and width >= 2, (style, width)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/articles/\d+/\?q=Massimov&back=", page.url)

    # the skip link lands in the main content: the next Tab is past the header
    page.go_back()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")


NARROW_PAGES = ["/", "/search/?q=Tokayev", "/articles/{pk}/?q=Massimov", "/search/help/", "/dates/", "/outlets/"]


def test_no_horizontal_scroll_at_375px(phone_site):
    pk = phone_site.seeds["000_9c5419554aa1a0fb.txt"].pk
    for path in NARROW_PAGES:
        phone_site.goto(path.format(pk=pk))
        width = phone_site.scroll_width()
        assert width <= 375, f"{path}: scrollWidth {width} > 375"


@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots(browser, live_server, seeded_committed, width):
    """Home, search and article pages as images in /tmp/kz-shots/ (for a person to look at)."""
    from tests.browser.conftest import _make_site

    context, s = _make_site(browser, live_server, width, 800)
    try:
        pk = seeded_committed["001_85c1c91c220d666a.txt"].pk
        for name, path in (
            ("home", "/"),
            ("search", "/search/?q=Massimov&stance=Analytical,+no+clear+side"),
            ("article", f"/articles/{pk}/?q=Massimov"),
        ):
            s.goto(path)
            assert s.scroll_width() <= width
            s.screenshot(f"{name}-{width}")
            if name == "article":
                s.page.locator(".provenance").scroll_into_view_if_needed()
                s.page.screenshot(path=f"/tmp/kz-shots/{name}-{width}-end.png")
        assert not s.console_errors, s.console_errors
    finally:
        context.close()


def test_pages_load_without_console_errors_or_csp_violations(site):
    """CSP violations (an inline style or script slipped into a template) are reported as console errors."""
    site.page.add_init_script(WATCH_CSP)
    pk = site.seeds["002_1e562040c40c0d33.txt"].pk
    for path in (
        "/",
        "/search/?q=coup&outlet=Al+Jazeera",
        f"/articles/{pk}/?q=coup",
        "/search/help/",
        "/dates/",
        "/outlets/",
        "/people/",
        "/people/victria-batarchuk/",
        "/stances/",
        "/dates/2022/1/",
        "/no-such-page/",
    ):
        response = site.page.goto(site.base_url + path)
        assert response.status == (404 if path == "/no-such-page/" else 200), path
        # the stylesheet was applied (served locally, allowed by the CSP)
        assert site.page.evaluate("getComputedStyle(document.body).marginTop") == "0px", path
        assert site.page.evaluate("window.__csp") == [], path
        # nothing requested from another origin
        origins = site.page.evaluate("[...performance.getEntriesByType('resource')].map(r => new URL(r.name).origin)")
        assert set(origins) <= {site.base_url}, (path, origins)
    # the one 404 is the page asked for; no asset (stylesheet, icon) is missing
    assert len(site.console_errors) <= 1 and all("404" in e for e in site.console_errors), site.console_errors
    assert not site.page_errors


def test_article_prints_without_navigation(site):
    page = site.page
    pk = site.seeds["003_1d74b9649cbe830b.txt"].pk
    site.goto(f"/articles/{pk}/?q=Pandora")
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden()
    assert page.locator("footer.site").is_hidden()
    assert page.locator(".back").is_hidden()
    assert page.locator(".body").is_visible()
    assert page.locator(".provenance").is_visible()
    assert page.locator(".cite .citation").first.is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_hostile_article_stays_text(site):
    page = site.page
    article = make_hostile_article()  # committed: the live server sees it and it is indexed
    page.add_init_script(WATCH_CSP)

    def assert_clean(where):
        assert page.evaluate("typeof window.__xss") == "undefined", where
        scripts = page.evaluate("[...document.scripts].map(s => s.src ? new URL(s.src).pathname : 'inline')")
        assert scripts == ["/static/js/progressive.js"], where  # ours only (it fills in deferred counts)
        assert page.evaluate("document.querySelectorAll('img, svg, iframe, object, embed').length") == 0, where
        handlers = page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
            ".filter(n => n.startsWith('on'))"
        )
        assert handlers == [], where
        assert page.evaluate("[...document.links].filter(a => a.protocol === 'javascript:').length") == 0, where
        assert page.evaluate("window.__csp") == [], f"{where}: blocked only by the CSP, not by escaping"
        assert site.dialogs == [], where

    site.goto("/")
    search_from_box(site, HOSTILE_WORD)
    assert site.count() == 1
    assert site.titles() == [HOSTILE_TITLE]  # shown as text
    assert "<script>window.__xss=1</script>" in page.locator(".hits .snippet").inner_text()
    assert_clean("results")

    # the facet links show the hostile names as text
    assert page.locator('.facet[data-facet="author"] a').all_inner_texts() == [HOSTILE_AUTHOR]
    # narrow by the hostile outlet: its chip carries the markup as text
    with page.expect_navigation():
        page.locator('.facet[data-facet="outlet"]').get_by_role("link", name=HOSTILE_OUTLET).click()
    assert site.count() == 1
    assert page.locator(".chips a.chip").inner_text().startswith(f"outlet: {HOSTILE_OUTLET}")
    assert_clean("results with the outlet chip")

    with page.expect_navigation():
        page.locator(".hits .hit h2 a").first.click()
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.locator(".body").inner_text().count("window.__xss=1") >= 3
    assert_clean("article")
    # the javascript: original URL is shown, not linked; clicking the text does nothing
    original = page.locator(".metadata dd code").filter(has_text="javascript:")
    assert original.count() == 1
    original.click()
    assert_clean("article after clicking the javascript: address")

    for path in (article.source.get_absolute_url(), "/outlets/", "/people/", "/stances/", "/dates/2022/1/"):
        site.goto(path)
        assert_clean(path)
    # the long unbroken markup still fits a phone
    page.set_viewport_size({"width": 375, "height": 740})
    for path in (article.get_absolute_url(), f"/search/?q={HOSTILE_WORD}"):
        site.goto(path)
        assert site.scroll_width() <= 375, path
        assert_clean(path)
    assert not site.page_errors
