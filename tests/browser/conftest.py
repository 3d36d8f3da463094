"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against pytest-django's live server.

Without Chromium the browser tests are skipped with the reason; CI sets KZARCHIVE_REQUIRE_BROWSER=1 so
a missing browser fails the run instead of passing it silently. Playwright's sync API runs an event
loop in the test thread, which trips Django's async-unsafe check for ORM calls made by the test
itself; the live server answers from its own thread, so allowing it here is harmless.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("KZARCHIVE_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SHOTS = Path("/tmp/kz-shots")


def _unavailable(reason: str):
    if os.environ.get("KZARCHIVE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (KZARCHIVE_REQUIRE_BROWSER=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not installed: apt-get install chromium (looked for {CHROMIUM})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright not installed: pip install -r requirements-dev.txt")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Site:
    """The live server seen through one browser page, with what the page reported collected."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        self.settled()
        return response

    def settled(self):
        """Wait until a results page sent before its counts has them (static/js/progressive.js; after the
        first page, every search of a browser that runs the script may be such a page)."""
        self.page.wait_for_selector("#result-count[aria-busy]", state="detached")

    # What the results page shows
    def count(self) -> int:
        self.settled()
        return int(self.page.locator("#result-count strong").inner_text())

    def titles(self) -> list[str]:
        return [t.strip() for t in self.page.locator(".hits .hit h2 a").all_inner_texts()]

    def scroll_width(self) -> int:
        return self.page.evaluate("document.scrollingElement.scrollWidth")

    def screenshot(self, name: str):
        """The whole page, and what the first screen shows (easier to look at for long pages)."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        self.page.screenshot(path=str(SHOTS / f"{name}-top.png"))


def _make_site(browser, live_server, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, Site(page, live_server.url)


@pytest.fixture
def site(browser, live_server, seeded_committed):
    """A desktop-sized page on the live server with the five seeds indexed."""
    context, s = _make_site(browser, live_server, 1280, 900)
    s.seeds = seeded_committed
    yield s
    context.close()


@pytest.fixture
def phone_site(browser, live_server, seeded_committed):
    """The same at a 375 px wide phone viewport."""
    context, s = _make_site(browser, live_server, 375, 740)
    s.seeds = seeded_committed
    yield s
    context.close()


PASSWORD = "a-long-browser-test-password"
WATCH_CSP = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')));"
)


@pytest.fixture
def admin_site(site):
    """The desktop site, logged in to the admin as a superuser, reporting CSP violations."""
    from django.contrib.auth.models import User

    User.objects.create_superuser("curator", "c@example.org", PASSWORD)
    page = site.page
    page.add_init_script(WATCH_CSP)
    site.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/admin/"), page.url
    return site
