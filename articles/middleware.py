"""Content-Security-Policy: no inline scripts, nothing loaded from other origins.

The public pages get the strict policy. The Django admin (5.2) has no inline scripts either (its
constants travel in data- attributes of <script src=...> tags, and its JS styles elements through
the CSSOM, which CSP allows), so /admin/ keeps `script-src 'self'` too. The one thing the admin needs
beyond the strict policy is the inline style attribute on the "raw original" box in articles/admin.py:
it is allowed by its hash only ('unsafe-hashes' + sha256), never by 'unsafe-inline'. If that attribute
changes, tests/test_security.py fails and tells you the new hash to put in ADMIN_STYLE_ATTRIBUTE_HASHES.
"""

from django.urls import reverse

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


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = reverse("admin:index")

    def __call__(self, request):
        response = self.get_response(request)
        policy = ADMIN_CSP if request.path.startswith(self.admin_prefix) else CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
