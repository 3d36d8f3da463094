"""Admin saves in a real browser keep what the curator did not change (issue 10, item 2).

Chromium submits textareas with CRLF line breaks, renders the autocomplete, date, time and tag widgets
and their hidden inputs: exactly what a curator's save sends. Each seed article is saved unchanged (every
field, its credits, tags and provenance stay byte for byte), then with one field changed (only that field
and its provenance change).
"""

from __future__ import annotations

import pytest

from articles.model_parts import FROM_CURATOR
from articles.models import Article, StanceCategory
from tests.test_admin import snapshot, without

pytestmark = pytest.mark.browser


def save(site, article, button: str = "Save and continue editing"):
    page = site.page
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    errors = page.locator(".errornote, .errorlist").all_inner_texts()
    assert not errors, errors
    assert page.locator(".messagelist .success").count() == 1, page.url
    assert not site.page_errors, site.page_errors


def open_change_form(site, article):
    site.goto(f"/admin/articles/article/{article.pk}/change/")


def test_each_seed_saved_unchanged_keeps_every_field_and_its_provenance(admin_site):
    for name, article in sorted(admin_site.seeds.items()):
        before = snapshot(article.pk)
        open_change_form(admin_site, article)
        save(admin_site, article)
        after = snapshot(article.pk)
        changed = {k for k in before if before[k] != after[k]}
        assert after == before, f"{name}: {sorted(changed)} changed"
        assert len(Article.objects.get(pk=article.pk).paragraphs) == len(article.paragraphs) > 1, name


def expect_only(before: dict, after: dict, field: str, value, provenance_key: str):
    assert after[field] == value
    assert after["field_sources"] == {**before["field_sources"], provenance_key: FROM_CURATOR}
    assert without(after, field, "field_sources") == without(before, field, "field_sources")


def test_changing_one_field_in_each_seed_changes_only_it_and_its_provenance(admin_site):
    site, page = admin_site, admin_site.page
    seeds = dict(sorted(site.seeds.items()))
    a000, a001, a002, a003, a004 = seeds.values()

    # a textarea: the title, now on two lines
    before = snapshot(a000.pk)
    open_change_form(site, a000)
    page.locator("textarea[name=title]").fill(
        "Power in Kazakhstan passes to the triumvirate.\nDoes Russia have a chance?"
    )
    save(site, a000)
    expect_only(
        before,
        snapshot(a000.pk),
        "title",
        "Power in Kazakhstan passes to the triumvirate.\nDoes Russia have a chance?",
        "title",
    )

    # a select: the stance
    before = snapshot(a001.pk)
    critical = StanceCategory.objects.get(slug="critical-of-russia")
    assert before["stance_id"] != critical.pk
    open_change_form(site, a001)
    page.locator("select[name=stance]").select_option(str(critical.pk))
    save(site, a001)
    expect_only(before, snapshot(a001.pk), "stance_id", critical.pk, "stance")

    # one of the date's fields: the note on how it was established, over two lines
    before = snapshot(a002.pk)
    open_change_form(site, a002)
    page.locator("textarea[name=date_note]").fill("Inferred from the text.\nChecked by a curator.")
    save(site, a002)
    expect_only(before, snapshot(a002.pk), "date_note", "Inferred from the text.\nChecked by a curator.", "published")

    # an inline: the translator's role
    before = snapshot(a003.pk)
    open_change_form(site, a003)
    page.locator("select[name='credits-1-role']").select_option("editor")
    save(site, a003)
    after = snapshot(a003.pk)
    assert after["credits"][1] == ("Victria Batarchuk", "editor", 1)
    expect_only(before, after, "credits", after["credits"], "credits")
    assert after["credits"][0] == before["credits"][0] and after["credits"][2] == before["credits"][2]

    # the body itself: one word edited; paragraphs stay separated by a blank line
    before = snapshot(a004.pk)
    edited = before["body"].replace("Kazakhstan", "Qazaqstan", 1)
    open_change_form(site, a004)
    page.locator("textarea[name=body]").fill(edited)
    save(site, a004)
    after = snapshot(a004.pk)
    assert "\r" not in after["body"]
    expect_only(before, after, "body", edited, "body")
    assert len(Article.objects.get(pk=a004.pk).paragraphs) == len(a004.paragraphs)

    # a many-to-many widget: one tag moved out of "chosen"
    before = snapshot(a000.pk)
    assert before["tags"], "PolitNavigator's page lists tags"
    open_change_form(site, a000)
    page.locator("#id_tags_to").select_option(label=before["tags"][0])
    page.locator("#id_tags_remove").click()
    save(site, a000)
    expect_only(before, snapshot(a000.pk), "tags", before["tags"][1:], "tags")


def test_article_list_shows_every_column_at_1280px(admin_site):
    site, page = admin_site, admin_site.page
    site.goto("/admin/articles/article/")
    assert page.viewport_size["width"] == 1280
    stance = page.locator("#result_list th.column-stance")
    box = stance.bounding_box()
    assert box and box["x"] + box["width"] <= 1280, box
    results = page.locator("#changelist .results")
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth"), "the list scrolls sideways"
    assert site.scroll_width() <= 1280
    site.screenshot("admin-article-list-1280")
    # the long text fields are textareas with room to read them
    site.goto(f"/admin/articles/article/{site.seeds['003_1d74b9649cbe830b.txt'].pk}/change/")
    for name in ("title", "date_note", "stance_rationale"):
        field = page.locator(f"textarea[name={name}]")
        assert field.count() == 1, name
        assert field.bounding_box()["width"] >= 400, name
