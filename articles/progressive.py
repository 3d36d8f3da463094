"""First results first (issue 16): a new query's page is sent as soon as it is ranked, its counts follow.

A results page normally waits for the exact count and every facet count, which for a new broad query
means a full pass over every match in pure Python. When the reader's browser runs our script, the
page is instead sent with the first page ranked by Whoosh's top-k collector (block skipping, no
facets), the count as "more than N" (never a number the total might be), and the script fetches the
rest from the same address as JSON (`Accept: application/json`): the full pass, which also fills the
query cache, so the refinements that follow are answered from kept matches.

Why a cookie: the server must know, before it answers, that a script will fill the counts in. The
script (static/js/progressive.js) sets `kz_js=1` on any page it runs on; without it (no JavaScript,
a first visit, a crawler, curl) the page is rendered whole, as before. A browser that had the cookie
and then turned JavaScript off gets a deferred page with a <noscript> link carrying `exact=1`, which
is never deferred and which every link of that page keeps. Why the same address for the counts: the
page's own view answers them, with its own presets (outlet, stance and date pages), filters and links,
so what the script fills in is what the whole page would have rendered, built by the same code.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst

from articles.api import json_response

COOKIE = "kz_js"  # set by static/js/progressive.js: this browser runs the script that fills counts in
EXACT = "exact"  # ?exact=1: never defer (the <noscript> link of a deferred page)
JSON = "application/json"


def may_defer(request) -> bool:
    """Whether this page may be sent before its counts: the script runs here and nobody asked for them now."""
    return request.COOKIES.get(COOKIE) == "1" and request.GET.get(EXACT) != "1" and not wants_counts(request)


def wants_counts(request) -> bool:
    """The script's request for the counts of the page at this address (it asks for JSON, a browser for HTML)."""
    return request.get_preferred_type(["text/html", JSON]) == JSON


def counts_response(results, facet_links: dict, page_links: dict) -> JsonResponse:
    """What a deferred page lacks, as the whole page would render it: count, facets (with their links),
    pages, and the notices of the full pass. Text only: the script puts it in with textContent."""
    pages = {
        "page": results.params.page,
        "num_pages": results.num_pages,
        "previous": page_links["previous"],
        "next": page_links["next"],
        "pages": [{"n": n, "url": url} for n, url in page_links["pages"]],
    }
    facets = [
        {
            "name": name,
            "title": capfirst(name),
            "values": [{k: f[k] for k in ("label", "url", "count", "selected")} for f in links],
        }
        for name, links in facet_links.items()
        if links
    ]
    counts = {
        "count": results.count,
        "count_exact": results.count_exact,
        "message": results.message,
        "unavailable": results.unavailable_notice,
        "facets": facets,
        "pagination": pages,
    }
    return vary(json_response(counts))


def vary(response):
    """Pages and their counts share an address: caches must keep them apart, and the cookie decides deferral."""
    patch_vary_headers(response, ("Accept", "Cookie"))
    return response


def exact_url(request) -> str:
    """This page, never deferred (for a browser that has the cookie but runs no script)."""
    query = request.GET.copy()
    query[EXACT] = "1"
    return f"{request.path}?{query.urlencode()}"
