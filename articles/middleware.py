"""Content-Security-Policy: no inline scripts, nothing loaded from other origins.

The public pages get the strict policy. The Django admin (5.2) has no inline scripts either (its
constants travel in data- attributes of <script src=...> tags, and its JS styles elements through
the CSSOM, which CSP allows), so /admin/ keeps `script-src 'self'` too. The one thing the admin needs
beyond the strict policy is the inline style attribute on the "raw original" box in articles/admin.py:
it is allowed by its hash only ('unsafe-hashes' + sha256), never by 'unsafe-inline'. If that attribute
changes, tests/test_security.py fails and tells you the new hash to put in ADMIN_STYLE_ATTRIBUTE_HASHES.

With DEBUG on, Django answers errors with its own technical pages (404 with the URL patterns, 500 with
the traceback), which carry an inline <style> and <script>. Their error responses get the policy plus
exactly those blocks' hashes, read from Django's templates, so developers see a working page and the
browser reports no violations; nothing else is allowed and production (DEBUG off) never sees it.
The 500 page's click-to-expand handlers (onclick attributes) stay blocked.
"""

import base64
import hashlib
import logging
import re
from functools import cache
from pathlib import Path

import django
from django.conf import settings
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# sha256 of articles/admin.py's style="white-space:pre-wrap;max-height:30em;overflow:auto"
ADMIN_STYLE_ATTRIBUTE_HASHES = ("sha256-kP/QkrWQfAxoOaG63z0yumLQd9JiLrSGb8vzgTIDIBg=",)
ADMIN_CSP = CSP.replace(
    "style-src 'self';",
    "style-src 'self' 'unsafe-hashes' " + " ".join(f"'{h}'" for h in ADMIN_STYLE_ATTRIBUTE_HASHES) + ";",
)


DEBUG_TEMPLATES = ("technical_404.html", "technical_500.html")
INLINE_BLOCK = re.compile(r"<(style|script)>(.*?)</\1>", re.S)


@cache
def debug_csp() -> str:
    """The policy for Django's technical error pages: their static inline blocks allowed by hash."""
    hashes: dict[str, list[str]] = {"style": [], "script": []}
    folder = Path(django.__file__).parent / "views" / "templates"
    for name in DEBUG_TEMPLATES:
        for tag, body in INLINE_BLOCK.findall((folder / name).read_text(encoding="utf-8")):
            if "{%" not in body and "{{" not in body:  # a block the template fills in cannot be hashed
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                hashes[tag].append(f"'sha256-{digest}'")
    return CSP.replace("style-src 'self';", "style-src 'self' " + " ".join(hashes["style"]) + ";").replace(
        "script-src 'self';", "script-src 'self' " + " ".join(hashes["script"]) + ";"
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = reverse("admin:index")

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.admin_prefix):
            policy = ADMIN_CSP
        elif settings.DEBUG and response.status_code >= 400:
            policy = debug_csp()
        else:
            policy = CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class SearchUnavailableMiddleware(MiddlewareMixin):
    """A search that cannot answer correctly (articles.index_state) is a 503 that says so, never a 500 or
    a plausible empty result: a page on the site, JSON under /api/; the full reason goes to the log."""

    def process_exception(self, request, exception):
        from django.http import JsonResponse
        from django.shortcuts import render

        from articles.index_state import SearchUnavailable

        if not isinstance(exception, SearchUnavailable):
            return None
        logging.getLogger("articles.index").error("503 for %s %s: %s", request.method, request.path, exception.reason)
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": exception.public, "status": 503}, status=503)
        else:
            response = render(request, "503.html", {"message": exception.public}, status=503)
        response["Retry-After"] = "60"
        return response


def request_line_length(request) -> int:
    """Bytes of the request line as the client sent it: method, target, protocol (gunicorn passes the target
    as RAW_URI; elsewhere, as under the test client, it is rebuilt from the path and query string)."""
    meta = request.META
    target = meta.get("RAW_URI") or request.get_full_path()
    protocol = meta.get("SERVER_PROTOCOL", "HTTP/1.1")
    return len(request.method or "") + 1 + len(target.encode("latin-1", "replace")) + 1 + len(protocol)


class RequestLimitsMiddleware:
    """An over-long request line (414) or an over-size body (413) is answered by the archive, as JSON under
    /api/ and as a page elsewhere, instead of by gunicorn (whose own 414 is HTML and comes only past its hard
    limit, 8,190 bytes) or by Django (which answers a too-big body with a bare 400).

    The line limit (settings.REQUEST_LINE_LIMIT) sits below gunicorn's, so a line between the two gets the
    archive's answer. The body is judged by its Content-Length before anything reads it, against
    DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own limit for data it holds in memory. Django does not count file
    parts of a multipart upload against that limit, so outside /api/ (which takes no uploads) multipart
    bodies are left to Django; where it still finds too much form data, in a view (process_exception) or in a
    middleware (handler400, `bad_request` below), the answer is the same 413."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_LINE_LIMIT
        length = request_line_length(request)
        if length > limit:
            return self.refuse(
                request, 414, f"The request line is {length:,} bytes; the archive takes at most {limit:,}."
            )
        body_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        uploads = request.content_type == "multipart/form-data" and not request.path.startswith("/api/")
        if body_limit is not None and size > body_limit and not uploads:
            return self.too_big(request, size)
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exception, RequestDataTooBig):
            return self.too_big(request, None)
        return None

    @classmethod
    def too_big(cls, request, size: int | None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        said = f"is {size:,} bytes" if size is not None else "is too large"
        return cls.refuse(request, 413, f"The request body {said}; the archive takes at most {limit:,}.")

    @staticmethod
    def refuse(request, status: int, message: str):
        """Django's request log records the refusal, as it does every 4xx."""
        from django.http import JsonResponse
        from django.shortcuts import render

        if request.path.startswith("/api/"):
            return JsonResponse({"error": message, "status": status}, status=status)
        title = "Request too long" if status == 414 else "Request too large"
        return render(request, "request_refused.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    """handler400: a too-big body is 413 (JSON under /api/); anything else is Django's own 400 page."""
    from django.core.exceptions import RequestDataTooBig
    from django.views.defaults import bad_request as django_bad_request

    if isinstance(exception, RequestDataTooBig):
        return RequestLimitsMiddleware.too_big(request, None)
    return django_bad_request(request, exception)
