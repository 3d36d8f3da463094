"""Reading an article in a real browser: its structure, its references both ways, its time with the zone;
reaching what is unknown and who is credited; Django's DEBUG error page under the site's policy."""

from __future__ import annotations

import pytest

from tests.browser.test_admin_csp import WATCH_CSP
from tests.test_views import T003, T004

pytestmark = pytest.mark.browser


def test_an_article_reads_with_headings_lists_and_references_both_ways(site):
    page = site.page
    page.add_init_script(WATCH_CSP)
    site.goto(f"/articles/{site.seeds['003_1d74b9649cbe830b.txt'].pk}/")
    body = page.locator(".body")
    assert body.get_by_role("heading", level=2).all_inner_texts() == ["Events timeline", "Conclusions"]
    assert body.locator("ul > li").count() == 12
    # a list item shows no "- " of its own: the browser's bullet is the only marker
    first_item = body.locator("ul > li").first
    assert first_item.inner_text().startswith("The long-planned LPG price rise")
    assert first_item.evaluate("e => getComputedStyle(e).listStyleType") == "disc"

    references = page.locator("section.references li")
    assert references.count() == 24
    assert references.first.evaluate("e => getComputedStyle(e).listStyleType") == "none"  # numbered once
    assert references.first.inner_text().startswith("[1] https://www.inform.kz/")
    link = references.first.get_by_role("link", name="https://www.inform.kz/", exact=False)
    assert link.get_attribute("rel") == "nofollow noopener noreferrer"

    # [1] in the text goes to reference 1, and its back link returns to the marker
    page.locator("a.cite", has_text="[1]").first.click()
    assert page.url.endswith("#ref-1")
    assert page.evaluate("document.querySelector(':target').id") == "ref-1"
    page.locator("#ref-1 a.backref").click()
    assert page.url.endswith("#cite-1")
    assert page.evaluate("document.querySelector(':target').textContent") == "[1]"
    assert page.evaluate("window.__csp") == []


def test_the_time_is_shown_in_the_zone_the_page_states(site):
    site.goto(f"/articles/{site.seeds['000_9c5419554aa1a0fb.txt'].pk}/")
    time = site.page.locator(".metadata time").first
    assert time.inner_text() == "6 January 2022, 13:15 Moscow time (UTC+03:00)"
    assert time.get_attribute("datetime") == "2022-01-06T13:15+03:00"


def test_unknown_outlet_and_a_translator_are_reachable_by_clicking(site):
    page = site.page
    site.goto("/")
    with page.expect_navigation():
        page.locator('.facet[data-facet="outlet"]').get_by_role("link", name="Unknown outlet").click()
    assert (site.count(), site.titles()) == (1, [T004])
    assert page.get_by_role("link", name="Remove filter outlet: Unknown outlet").is_visible()

    site.goto("/outlets/")
    with page.expect_navigation():
        page.get_by_role("link", name="Unknown outlet").click()
    assert site.titles() == [T004]

    with page.expect_navigation():
        page.get_by_role("navigation", name="Browse").get_by_role("link", name="People").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Victria Batarchuk").click()
    assert page.locator("h1").inner_text() == "Victria Batarchuk"
    assert "translator of 1" in page.locator("p.roles").inner_text()
    assert page.locator(".credits .role").all_inner_texts() == ["Translator"]
    with page.expect_navigation():
        page.get_by_role("link", name=T003).click()
    assert page.locator("h1").inner_text() == T003

    # the address the first release printed still leads there
    site.goto("/authors/victria-batarchuk/")
    assert page.url.endswith("/people/victria-batarchuk/")


def test_the_debug_404_page_breaks_no_policy(site, settings):
    """With DEBUG on (make run), Django's own 404 page is styled and reports no CSP violation."""
    settings.DEBUG = True
    page = site.page
    page.add_init_script(WATCH_CSP)
    response = page.goto(site.base_url + "/no-such-page/")
    assert response.status == 404
    assert "Using the URLconf defined in" in page.content()  # Django's technical page, not ours
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(238, 238, 238)"  # its style
    assert page.evaluate("window.__csp") == []
    assert not any("Content Security Policy" in e for e in site.console_errors), site.console_errors
