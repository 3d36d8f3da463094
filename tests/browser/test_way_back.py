"""From a filtered, sorted second page to an article and back, in a real browser (issue 10, item 4): the
article's "Back to results" link and the browser's Back button both return to the same page of the same
search (query, filters, sort, page size, page), and a phrase search marks the phrase on the article."""

from __future__ import annotations

import re

import pytest

from tests.test_views import T000, T003, T004

pytestmark = pytest.mark.browser


def state(site) -> dict:
    page = site.page
    return {
        "url": page.url,
        "count": site.count(),
        "titles": site.titles(),
        "chips": page.locator(".chips a.chip").all_inner_texts(),
        "sort": page.locator(".sort [aria-current]").inner_text(),
        "page": page.locator('.pagination [aria-current="page"]').inner_text(),
    }


def test_back_to_a_filtered_sorted_second_page(site):
    page = site.page
    site.goto("/search/?q=Tokayev&page_size=2")
    # narrow by a facet and a date range, sort oldest first, go to page 2
    with page.expect_navigation():
        page.locator('.facet[data-facet="year"]').get_by_role("link", name="2022", exact=True).click()
    page.get_by_role("textbox", name="From", exact=True).fill("2022-01")
    page.get_by_role("textbox", name="To", exact=True).fill("2022-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    with page.expect_navigation():
        page.locator(".sort").get_by_role("link", name="Oldest").click()
    with page.expect_navigation():
        page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next →").click()
    before = state(site)
    assert before["count"] == 4 and before["page"] == "2" and before["sort"] == "Oldest"
    assert before["titles"] == [T004, T000]
    assert len(before["chips"]) == 3

    # the article link and its "Back to results" link
    with page.expect_navigation():
        page.get_by_role("link", name=T004, exact=True).click()
    assert page.locator("h1").inner_text() == T004
    with page.expect_navigation():
        page.get_by_role("link", name="← Back to results for “Tokayev”").click()
    assert state(site) == before

    # the browser's Back button
    with page.expect_navigation():
        page.get_by_role("link", name=T000, exact=True).click()
    assert page.locator("h1").inner_text() == T000
    page.go_back()
    assert state(site) == before


def test_back_from_an_outlet_page_and_a_phrase_marked_on_the_article(site):
    page = site.page
    site.goto('/outlets/informnapalm/?q="Security+Council"')
    assert site.titles() == [T003]
    listing = page.url
    with page.expect_navigation():
        page.get_by_role("link", name=T003, exact=True).click()
    marks = page.locator(".body mark").all_inner_texts()
    assert marks and {m.lower() for m in marks} == {"security council"}, marks
    back = page.locator(".back a")
    assert re.fullmatch(r"← Back to results for \"Security Council\"", back.inner_text())
    with page.expect_navigation():
        back.click()
    assert page.url == listing and site.titles() == [T003]
