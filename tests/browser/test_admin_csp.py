"""The curators' admin under the Content-Security-Policy, in a real browser: the policy must not break it.

The admin is Django's own (its templates are not ours), served with the admin-scoped policy from
articles/middleware.py. A page the policy broke would report `securitypolicyviolation` events; the
admin's JavaScript working (the actions bar, the date shortcuts) shows its scripts were allowed.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import WATCH_CSP

pytestmark = pytest.mark.browser


def violations(site) -> list[str]:
    return site.page.evaluate("window.__csp || []")


def test_login_page_has_no_csp_violations(site):
    site.page.add_init_script(WATCH_CSP)
    site.goto("/admin/login/")
    assert site.page.get_by_role("button", name="Log in").is_visible()
    assert violations(site) == []
    assert not site.page_errors
    # the watcher itself works: markup with an inline style is refused and reported
    site.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    site.page.wait_for_function("window.__csp.length > 0")
    assert violations(site)[0].startswith("style-src")


def test_admin_pages_work_under_the_policy(admin_site):
    site, page = admin_site, admin_site.page
    assert violations(site) == []
    article = site.seeds["003_1d74b9649cbe830b.txt"]
    for path in (
        "/admin/",
        "/admin/articles/article/",
        "/admin/articles/article/?q=Kazakhstan",
        f"/admin/articles/article/{article.pk}/change/",
        "/admin/articles/source/",
        "/admin/articles/stancecategory/",
        "/admin/articles/person/",
    ):
        site.goto(path)
        assert violations(site) == [], f"{path}: {violations(site)}"
        assert not site.page_errors, f"{path}: {site.page_errors}"
        # the admin's own stylesheet applied (served from 'self')
        assert page.evaluate("getComputedStyle(document.body).fontFamily") != "", path

    # the change list's JavaScript runs: ticking the select-all box ticks every row
    site.goto("/admin/articles/article/")
    page.locator("#action-toggle").check()
    assert page.locator("input.action-select:checked").count() == 5
    assert "selected" in page.locator(".action-counter").inner_text()
    assert violations(site) == []

    # the change form: the raw original box keeps its (hash-allowed) inline style
    site.goto(f"/admin/articles/article/{article.pk}/change/")
    assert violations(site) == []
    styled = page.locator('[style*="pre-wrap"]')
    assert styled.count() == 1
    assert styled.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
