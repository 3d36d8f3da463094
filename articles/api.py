"""JSON API mirroring the pages: /api/search and /api/articles/<id>."""

from __future__ import annotations

from django.core.paginator import InvalidPage
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from articles.citations.formats import FORMATS
from articles.citations.views import citation_response
from articles.export import article_record
from articles.forms import BadParameter, parse_params
from articles.models import Article
from articles.search import FACETS, search_articles

# A search hit's fields from the article's record, in brief (the whole record is /api/articles/<id>).
HIT_FIELDS = ("id", "title", "outlet", "authors", "published", "date_precision", "published_at", "stance")


def json_error(message: str, status: int = 400) -> JsonResponse:
    """A refused request as the APIs answer it (/api/...): {"error": message}."""
    return JsonResponse({"error": message}, status=status)


def json_response(payload: dict) -> JsonResponse:
    """An API answer, with text as it is written (names in Cyrillic stay readable, not escaped)."""
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


@require_GET
def search(request):
    try:
        params = parse_params(request.GET)
        results = search_articles(params)
    except (BadParameter, InvalidPage) as exc:  # a malformed parameter; a page past the last
        return json_error(str(exc))
    return json_response(
        {
            "query": params.q,
            "count": results.count,
            # False when the search stopped early (time budget, expansion limit): count is then a lower
            # bound and `message` says why.
            "count_exact": results.count_exact,
            "page": params.page,
            "page_size": params.page_size,
            "num_pages": results.num_pages,
            "sort": params.effective_sort,
            "spelling": params.spelling,
            # Other spellings and names of the query's words found in these results (variants only).
            "also_matched": results.also_matched,
            "message": results.message or None,
            # What this search would use and the engine lacks (haystack's simple engine: facets, sorting, ...).
            "unavailable": [{"feature": u.feature, "message": u.message} for u in results.unavailable],
            # Filter values no article has (a typo, a year with no articles), with the nearest real value.
            "unknown_filters": [
                {"filter": u.name, "value": u.value, "message": u.notice, "suggestion": u.suggestion}
                for u in results.unknown_values
            ],
            "results": [
                {
                    **article_record(hit.article, HIT_FIELDS),
                    # Here `url` is the article's page in the archive; the export's `url` is `original_url`.
                    "url": request.build_absolute_uri(hit.article.get_absolute_url()),
                    "original_url": hit.article.url or None,
                    "source_file": hit.article.source_file,
                    "snippet": str(hit.snippet),
                    "score": hit.score,
                }
                for hit in results.hits
            ],
            "facets": {
                name: [{"value": f.value, "count": f.count} for f in results.facets.get(name, [])] for name in FACETS
            },
            "suggestion": results.suggestion,
        }
    )


@require_GET
def article(request, pk: int):
    """One article as JSON, or `?format=ris|bib|csl.json` as that citation format."""
    fmt = request.GET.get("format")
    if fmt and fmt not in FORMATS:
        return json_error(f"format must be one of {', '.join(FORMATS)}")
    obj = Article.objects.for_listing().defer("raw_bytes").filter(pk=pk).first()
    if obj is None:
        return json_error(f"No article with id {pk}.", status=404)
    if fmt:
        return citation_response(request, obj, FORMATS[fmt], download=False)
    record = article_record(obj)
    record["permalink"] = request.build_absolute_uri(obj.get_absolute_url())
    return json_response(record)
