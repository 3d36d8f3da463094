"""What Zotero's connector and a researcher see in a real browser: an article page's embedded metadata
(read from the live DOM, as the Embedded Metadata translator does), the formatted references, and the
Export control on a results page downloading the whole result set."""

from __future__ import annotations

import json

import pytest

from tests.test_citations import F000, F003
from tests.test_views import T003

pytestmark = pytest.mark.browser


def metas(page) -> list[tuple[str, str]]:
    return page.evaluate(
        """() => Array.from(document.head.querySelectorAll('meta[name], meta[property]'))
               .map(m => [m.getAttribute('name') || m.getAttribute('property'), m.getAttribute('content')])"""
    )


def test_article_page_carries_embedded_metadata(site):
    article = site.seeds[F003]
    site.goto(f"/articles/{article.pk}/")
    tags = metas(site.page)
    d = dict(tags)
    assert d["z:itemType"] == "webpage"
    assert d["citation_title"] == T003 and d["og:title"] == T003 and d["DC.title"] == T003
    assert [v for k, v in tags if k == "citation_author"] == ["Sofia Hriniova"]
    assert d["citation_date"] == "2022-01" and d["DC.date"] == "2022-01"  # no invented day
    assert d["citation_language"] == "en" and d["og:site_name"] == "InformNapalm"
    assert d["og:url"] == f"{site.base_url}/articles/{article.pk}/"
    assert not [k for k, _ in tags if k.startswith("citation_journal")]
    news = site.seeds[F000]
    site.goto(f"/articles/{news.pk}/")
    d = dict(metas(site.page))
    assert d["z:itemType"] == "newspaperArticle" and d["citation_date"] == "2022-01-06"
    chicago = site.page.locator(".citation").first.inner_text()
    assert "Does Russia Have a Chance?” PolitNavigator, January 6." in chicago
    assert site.page.get_by_role("link", name="RIS").get_attribute("href") == f"/articles/{news.pk}/cite.ris"
    assert not site.page_errors and not site.console_errors


def test_export_control_downloads_every_result(site):
    site.goto("/search/?q=Tokayev")
    assert site.page.locator("link[rel='unapi-server']").get_attribute("href") == "/unapi"
    assert site.page.locator("abbr.unapi-id").count() == 5
    site.page.get_by_text("Export all 5 results").click()
    with site.page.expect_download() as info:
        site.page.get_by_role("link", name="CSL-JSON").click()
    download = info.value
    assert download.suggested_filename.endswith(".csl.json")
    items = json.loads(open(download.path(), encoding="utf-8").read())
    assert items[0]["type"] == "dataset" and len(items) == 6
    assert not site.page_errors and not site.console_errors
