"""Names in a real browser: from the navigation to an entity, to its articles and back; a curator adds a
variant in the admin and the entity page shows the article that uses it; the pages fit a phone."""

from __future__ import annotations

import pytest

from tests.browser.test_admin_csp import violations
from tests.test_views import T000, T001, T002, T003, T004

pytestmark = pytest.mark.browser


def test_from_the_names_list_to_an_entity_to_an_article_and_back(site):
    page = site.page
    site.goto("/")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Browse").get_by_role("link", name="Names").click()
    assert page.title() == "Names in the archive · kzarchive"
    first_rows = page.locator("table.entities tbody tr").all_inner_texts()[:5]
    assert all("\t5\t" in row for row in first_rows), first_rows

    with page.expect_navigation():
        page.get_by_role("link", name="Collective Security Treaty Organization", exact=True).click()
    assert "Named in 4 articles, 23 times." in page.locator("#entity-count").inner_text()
    assert set(t.strip() for t in page.locator(".mentions .hit h3 a").all_inner_texts()) == {T000, T001, T003, T004}
    marks = page.locator(".sentence mark").all_inner_texts()
    assert {"CSTO", "Collective Security Treaty Organization", "Regional Security Organization"} <= set(marks)
    assert page.get_by_role("cell", name="ОДКБ", exact=True).is_visible()
    site.screenshot("entity-csto")

    with page.expect_navigation():
        page.get_by_role("link", name=T004).click()
    names = page.get_by_role("list", name="Names in this article")
    assert names.get_by_role("link", name="Kassym-Jomart Tokayev").is_visible()
    with page.expect_navigation():
        names.get_by_role("link", name="Collective Security Treaty Organization").click()
    assert page.url.endswith("/entities/collective-security-treaty-organization/")
    assert not site.page_errors and not site.console_errors


def test_kind_filter(site):
    page = site.page
    site.goto("/entities/")
    with page.expect_navigation():
        page.get_by_role("link", name="places", exact=True).click()
    kinds = {row.split("\t")[1] for row in page.locator("table.entities tbody tr").all_inner_texts()}
    assert kinds == {"Place"}
    assert page.locator("table.entities tbody tr").first.inner_text().startswith("Kazakhstan")


def test_curator_adds_a_variant_and_the_entity_page_finds_its_article(admin_site):  # noqa: F811
    from articles.names.models import Entity

    site, page = admin_site, admin_site.page
    entity = Entity.objects.get(name="National Security Committee of Kazakhstan")
    site.goto(entity.get_absolute_url())
    assert T002 not in page.locator(".mentions").inner_text()

    site.goto(f"/admin/articles/entity/{entity.pk}/change/")
    empty_row = entity.variants.count()  # the first extra (empty) inline row
    page.locator(f"#id_variants-{empty_row}-text").fill("KGB")
    page.locator(f"#id_variants-{empty_row}-note").fill("seed 002: 'except for the KGB'")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    assert violations(site) == []

    site.goto(entity.get_absolute_url())
    assert "Named in 4 articles" in page.locator("#entity-count").inner_text()
    hit = page.locator(".mentions .hit", has_text=T002)
    assert hit.locator(".sentence mark").all_inner_texts() == ["KGB"]
    entity.refresh_from_db()
    assert entity.origin == "curator" and not entity.mentions_stale
    # The search finds the new alias at once (no index rebuild): KNB now also finds the KGB of 002.
    site.goto("/search/?q=KNB")
    assert T002 in page.locator(".hits").inner_text()
    assert "KGB" in page.locator("#also-matched").inner_text()


def test_a_variant_naming_another_entity_is_refused_in_the_admin(admin_site):  # noqa: F811
    from articles.names.models import Entity

    site, page = admin_site, admin_site.page
    entity = Entity.objects.get(name="Astana")
    site.goto(f"/admin/articles/entity/{entity.pk}/change/")
    row = entity.variants.count()
    page.locator(f"#id_variants-{row}-text").fill("Nursultan Nazarbaev")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert "a name of Nursultan Nazarbayev" in page.locator(".errorlist").first.inner_text()
    assert not entity.variants.filter(text="Nursultan Nazarbaev").exists()


def test_entity_pages_fit_a_phone(phone_site):
    for path in ("/entities/", "/entities/kassym-jomart-tokayev/"):
        phone_site.goto(path)
        assert phone_site.scroll_width() <= 375, path
    phone_site.screenshot("entity-tokayev-phone")


def test_the_exact_spelling_checkbox_switches_variants_off_and_on(site):
    page = site.page
    site.goto("/search/?q=Tokaev")
    assert page.locator("#result-count").inner_text().startswith("5 articles")
    assert "Tokayev" in page.locator("#also-matched").inner_text()
    assert page.locator(".hits mark", has_text="Tokayev").first.is_visible()
    box = page.get_by_role("search").get_by_label("exact spelling")
    assert not box.is_checked()
    box.check()
    with page.expect_navigation():
        page.get_by_role("search").get_by_role("button", name="Search").click()
    assert "spelling=exact" in page.url
    assert page.locator("#result-count").inner_text().startswith("1 article ")
    assert page.locator("#also-matched").count() == 0
    box = page.get_by_role("search").get_by_label("exact spelling")
    assert box.is_checked()
    box.uncheck()
    with page.expect_navigation():
        page.get_by_role("search").get_by_role("button", name="Search").click()
    assert page.locator("#result-count").inner_text().startswith("5 articles")
    # The mention facet narrows to an entity's articles.
    with page.expect_navigation():
        page.locator('[data-facet="mention"]').get_by_role("link", name="Karim Massimov").click()
    assert page.locator("#result-count").inner_text().startswith("4 articles")
    assert not site.page_errors and not site.console_errors
