"""What an operator and a browser see around the pages: log lines, the favicon, error pages under the CSP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.test import override_settings

from articles.middleware import CSP, debug_csp
from tests.test_security import _free_port

REPO = Path(__file__).resolve().parent.parent


def test_runserver_prints_each_log_line_once(tmp_path):
    """`make run`'s server: a 404 is one "Not Found" line and one request line, not two of each."""
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "KZARCHIVE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kzarchive.settings",
    }
    env.pop("LOG_LEVEL", None)
    log_file = tmp_path / "runserver.log"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file.open("w"),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=5)
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
                break
            except OSError:
                assert proc.poll() is None, log_file.read_text()
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.2)
        # the request line is written after the response: wait for it (and anything after it)
        while '"GET /no-such-page/' not in log_file.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    log = log_file.read_text()
    assert log.count("Not Found: /no-such-page/") == 1, log
    request_lines = [line for line in log.splitlines() if '"GET /no-such-page/ HTTP/1.1" 404' in line]
    assert len(request_lines) == 1, log
    assert request_lines[0].startswith("["), log  # runserver's own timestamped format is kept


def test_favicon_at_the_site_root(client):
    """Browsers ask for /favicon.ico wherever a page links no icon (the admin, raw text, JSON)."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    data = b"".join(response.streaming_content)
    assert data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert data == (REPO / "static" / "root" / "favicon.ico").read_bytes()


def test_pages_link_the_favicon(client, db):
    html = client.get("/search/help/").content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in html
    assert 'href="/static/img/favicon.svg" type="image/svg+xml"' in html


def test_a_refused_form_gets_a_page_of_the_site_under_its_policy(db):
    """CSRF failures used Django's built-in page, whose inline <style> the CSP blocks."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "<style" not in html and " style=" not in html
    assert "Form not accepted" in html and 'href="/static/css/kzarchive.css"' in html


def test_debug_error_pages_allow_exactly_djangos_own_inline_blocks(client, db):
    with override_settings(DEBUG=True):
        response = client.get("/no-such-page/")
        assert response.status_code == 404 and b"Using the URLconf defined in" in response.content  # technical page
        assert response["Content-Security-Policy"] == debug_csp()
        assert "'unsafe-inline'" not in debug_csp() and "'sha256-" in debug_csp()
        assert client.get("/search/help/")["Content-Security-Policy"] == CSP  # pages that work stay strict
    assert client.get("/no-such-page/")["Content-Security-Policy"] == CSP  # production: strict everywhere
