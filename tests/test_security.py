"""Production settings and security headers, checked on real responses.

The DEBUG=0 checks run in subprocesses: settings are read once per process, and production mode
must be exercised as an operator starts it (environment only), not through override_settings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client, override_settings

from articles.middleware import ADMIN_STYLE_ATTRIBUTE_HASHES, CSP

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "archive.example.org"


def prod_env(tmp_path, **extra) -> dict:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' conftest in the same worker; a deployment has none.
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        KZARCHIVE_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="kzarchive.settings",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def manage(env, *args, timeout=60):
    return subprocess.run([PY, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


# --- production settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing, message",
    [
        ("SECRET_KEY", "SECRET_KEY must be set in the environment when DEBUG=0"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set in the environment when DEBUG=0"),
    ],
)
def test_production_refuses_to_start_without(tmp_path, missing, message):
    env = prod_env(tmp_path)
    env[missing] = ""
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_refuses_the_development_secret_key(tmp_path):
    result = manage(prod_env(tmp_path, SECRET_KEY="dev-only-insecure-key-never-use-in-production"), "check")
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


def test_check_deploy_is_clean(tmp_path):
    result = manage(prod_env(tmp_path), "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def prod_data_dir(tmp_path_factory):
    """A production data folder with collectstatic done (templates need the manifest when DEBUG=0)."""
    path = tmp_path_factory.mktemp("prod")
    collected = manage(prod_env(path), "collectstatic", "--noinput", "-v0")
    assert collected.returncode == 0, collected.stderr
    return path


HEADERS_SCRIPT = r"""
import json, os, django
django.setup()
from django.test import Client
c = Client(HTTP_HOST=os.environ["ALLOWED_HOSTS"])
out = {}
for name, extra in [("http", {}), ("https", {"HTTP_X_FORWARDED_PROTO": "https"})]:
    r = c.get("/search/help/", **extra)
    out[name] = {"status": r.status_code, "headers": dict(r.headers)}
r = c.get("/search/help/", HTTP_HOST="evil.example.com", HTTP_X_FORWARDED_PROTO="https")
out["bad_host"] = {"status": r.status_code}
print(json.dumps(out))
"""


def test_production_headers_on_real_responses(prod_data_dir):
    """DEBUG=0 as an operator runs it: HTTPS redirect, HSTS only over HTTPS (via the proxy header), etc."""
    result = subprocess.run(
        [PY, "-c", HEADERS_SCRIPT], cwd=REPO, env=prod_env(prod_data_dir), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    plain, secure = out["http"], out["https"]
    assert plain["status"] == 301
    assert plain["headers"]["Location"] == f"https://{HOST}/search/help/"
    assert "Strict-Transport-Security" not in plain["headers"]
    assert secure["status"] == 200
    h = secure["headers"]
    assert h["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert h["Content-Security-Policy"] == CSP
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert out["bad_host"]["status"] == 400


# --- headers and CSP in the test process (DEBUG=1 settings, same middleware) --------------------------


def assert_common_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
EVENT_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def inline_scripts(html: str) -> list[str]:
    return [body for attrs, body in SCRIPT_TAG.findall(html) if "src=" not in attrs or body.strip()]


PUBLIC_PAGES = [
    "/",
    "/search/?q=tokayev",
    "/search/?q=%22unclosed",
    "/search/help/",
    "/outlets/",
    "/people/",
    "/people/victria-batarchuk/",
    "/stances/",
    "/dates/",
    "/dates/2022/",
]


@pytest.mark.django_db
def test_public_pages_have_strict_csp_and_no_inline_script(seeded, client):
    pages = PUBLIC_PAGES + [a.get_absolute_url() + "?q=protest" for a in seeded.values()]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        assert r["Content-Security-Policy"] == CSP, url
        assert_common_headers(r)
        html = r.content.decode()
        assert inline_scripts(html) == [], url
        assert not EVENT_ATTR.search(html), url
        assert not STYLE_ATTR.search(html), url  # style-src 'self' would block it


@pytest.mark.django_db
def test_api_and_raw_are_typed_and_nosniff(seeded, client):
    article = next(iter(seeded.values()))
    for url, ctype in [
        ("/api/search?q=tokayev", "application/json"),
        (f"/api/articles/{article.pk}", "application/json"),
        (f"/articles/{article.pk}/raw/", "text/plain; charset=utf-8"),
    ]:
        r = client.get(url)
        assert r.status_code == 200
        assert r["Content-Type"] == ctype
        assert_common_headers(r)


@pytest.mark.django_db
def test_hsts_only_behind_https(client):
    prod = dict(
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SECURE_HSTS_SECONDS=31536000,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=True,
    )
    with override_settings(**prod):
        c = Client()  # middleware is loaded per client: after the override
        assert "Strict-Transport-Security" not in c.get("/search/help/")
        r = c.get("/search/help/", HTTP_X_FORWARDED_PROTO="https")
        assert r["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        # a client cannot claim HTTPS through another header
        assert "Strict-Transport-Security" not in c.get("/search/help/", HTTP_X_FORWARDED_SCHEME="https")


def _style_hash(value: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()


@pytest.mark.django_db
def test_admin_works_under_csp_without_inline_script(seeded, admin_client):
    """Every admin page renders, carries no inline script, and any inline style is allowed by its hash."""
    article = next(iter(seeded.values()))
    pages = [
        "/admin/",
        "/admin/articles/article/",
        "/admin/articles/article/?stance__id__exact=1&year=2022",
        f"/admin/articles/article/{article.pk}/change/",
        "/admin/articles/article/add/",
        f"/admin/articles/source/{article.source_id}/change/" if article.source_id else "/admin/articles/source/",
        "/admin/articles/person/",
        "/admin/articles/stancecategory/",
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/autocomplete/?app_label=articles&model_name=article&field_name=source&term=a",
    ]
    for url in pages:
        r = admin_client.get(url)
        assert r.status_code == 200, url
        assert_common_headers(r)
        csp = r["Content-Security-Policy"]
        html = r.content.decode()
        assert inline_scripts(html) == [], url
        assert not EVENT_ATTR.search(html), url
        for m in STYLE_ATTR.finditer(html):
            value = m.group(1) if m.group(1) is not None else m.group(2)
            digest = _style_hash(value)
            assert digest in ADMIN_STYLE_ATTRIBUTE_HASHES and f"'{digest}'" in csp, (
                f"{url}: inline style {value!r} is blocked by the CSP; add {digest!r} to "
                "articles.middleware.ADMIN_STYLE_ATTRIBUTE_HASHES or move it to a stylesheet"
            )
    # the relaxed style rule is scoped to the admin
    assert "unsafe-hashes" not in admin_client.get("/search/help/")["Content-Security-Policy"]


# --- production static files through gunicorn ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers):
    req = urllib.request.Request(url, headers={"Host": HOST, "X-Forwarded-Proto": "https", **headers})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_gunicorn_debug0_serves_collected_static(prod_data_dir):
    """The documented production command: collectstatic, then gunicorn with DEBUG=0 serves /static/ itself."""
    env = prod_env(prod_data_dir)
    port = _free_port()
    gunicorn = Path(PY).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "kzarchive.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 8
        while True:
            try:
                status, headers, body = _get(base + "/search/help/")
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert status == 200
        href = re.search(rb'<link rel="stylesheet" href="([^"]+)"', body).group(1).decode()
        assert re.fullmatch(r"/static/css/kzarchive\.[0-9a-f]{12}\.css", href), href  # manifest storage
        status, headers, css = _get(base + href, **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert headers.get("Content-Encoding") == "gzip"  # CompressedManifestStaticFilesStorage's .gz
        assert "max-age=315360000" in headers["Cache-Control"]  # hashed name: cached forever
        status, headers, css = _get(base + "/static/css/kzarchive.css")
        assert status == 200 and b"{" in css
        assert _get(base + "/static/css/missing.css")[0] == 404
        status, headers, icon = _get(base + "/favicon.ico")  # whitenoise's WHITENOISE_ROOT, at the site root
        assert status == 200 and icon[:4] == b"\x00\x00\x01\x00", status
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- the HTTP->HTTPS redirect carries the security headers (issue 11 item 8) -----------------------------
def test_https_redirect_has_csp_and_frame_options(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/", "/search/?q=Tokayev", "/api/search?q=Tokayev"):
        response = client.get(path)
        assert response.status_code == 301 and response["Location"].startswith("https://")
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"


def test_gunicorn_config_sets_the_request_line_limit():
    """README states the limit; the config that gunicorn reads from the repository folder sets it."""
    import runpy

    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    assert config["limit_request_line"] == 8190
