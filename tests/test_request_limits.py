"""Over-long request lines (414) and over-size bodies (413) get the archive's answer: JSON under /api/, a page
elsewhere (issue 11 item 8). The real-gunicorn side, past and below gunicorn's own limit, is in
tests/test_index_faults.py."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parent.parent


def padded(path: str, line_length: int) -> str:
    """`path` with a query string long enough that `GET <path> HTTP/1.1` is `line_length` bytes."""
    fixed = len("GET ") + len(path) + len("&pad=") + len(" HTTP/1.1")
    return f"{path}&pad=" + "x" * (line_length - fixed)


def test_the_archive_limit_sits_below_gunicorns():
    """Otherwise gunicorn refuses every over-long line itself and the archive's 414 never happens."""
    gunicorn = runpy.run_path(str(REPO / "gunicorn.conf.py"))["limit_request_line"]
    assert 0 < django_settings.REQUEST_LINE_LIMIT < gunicorn == 8190


def test_api_answers_an_overlong_request_line_with_json(client, settings):
    limit = settings.REQUEST_LINE_LIMIT
    response = client.get(padded("/api/search?q=Tokayev", limit + 1))
    assert response.status_code == 414
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["status"] == 414 and f"{limit + 1:,} bytes" in body["error"] and f"{limit:,}" in body["error"]
    # security headers still wrap the refusal
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_line_at_the_limit_is_served(client, settings):
    response = client.get(padded("/api/search?q=Tokayev", settings.REQUEST_LINE_LIMIT))
    assert response.status_code == 200, response.content[:200]


def test_pages_answer_an_overlong_request_line_with_a_page(client, settings):
    response = client.get(padded("/search/?q=Tokayev", settings.REQUEST_LINE_LIMIT + 1))
    assert response.status_code == 414
    assert response["Content-Type"].startswith("text/html")
    assert b"Request too long" in response.content and b"the archive takes at most" in response.content


def test_non_ascii_query_is_measured_in_bytes_as_sent(client, settings):
    """A Cyrillic letter is 6 bytes on the wire (%D0%90), not 1 character."""
    settings.REQUEST_LINE_LIMIT = 200
    line = len("GET /api/search?q= HTTP/1.1")
    assert client.get("/api/search?q=" + quote("А" * 20)).status_code == 200  # 120 bytes
    assert len(quote("А" * 30)) + line > 200 > 30 + line
    assert client.get("/api/search?q=" + quote("А" * 30)).status_code == 414


def test_api_answers_an_oversize_body_with_json(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/search?q=Tokayev", data="x" * 1001, content_type="application/json")
    assert response.status_code == 413
    body = json.loads(response.content)
    assert body["status"] == 413 and "1,001 bytes" in body["error"] and "1,000" in body["error"]
    # so does a multipart body: the API takes no uploads
    response = client.post("/api/search", data={"f": "x" * 2000})
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    # a body within the limit is the view's business (the API is GET only)
    assert client.post("/api/search", data="x" * 1000, content_type="application/json").status_code == 405


def test_pages_answer_an_oversize_form_with_a_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        "/accounts/login/", data="username=a&password=" + "x" * 1000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert b"Request too large" in response.content


def test_a_view_that_meets_too_much_form_data_answers_413(admin_client, settings):
    """Multipart bodies outside /api/ are left to Django (file parts do not count against the limit); a view
    whose non-file fields still pass it gets 413, not Django's bare 400."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_client.post("/admin/articles/article/add/", data={"title": "x" * 2000})
    assert response.status_code == 413
    assert b"Request too large" in response.content


def test_too_much_form_data_met_by_a_middleware_answers_413(client, settings):
    """The login lockout reads the form before any view: Django turns what it meets into a 400 page, which
    handler400 makes the same 413. Other bad requests keep Django's 400."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/admin/login/", data={"username": "a", "password": "x" * 2000})  # multipart
    assert response.status_code == 413
    assert b"Request too large" in response.content
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    response = client.post("/admin/login/", data={"a": "1", "b": "2", "c": "3", "username": "a"})
    assert response.status_code == 400
