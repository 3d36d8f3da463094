"""/search/export and /api/search/export: a whole result set as a streamed file (see result_export.py)."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from articles.api import json_error
from articles.forms import BadParameter, parse_params
from articles.query_links import search_query
from articles.result_export import EXPORT_FORMATS, ResultExport, export_header
from articles.search import matching_ids


def _export(request, error):
    fmt = EXPORT_FORMATS.get(request.GET.get("format", ""))
    if fmt is None:
        return error(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    try:
        params = parse_params(request.GET)
        matches = matching_ids(params)
    except BadParameter as exc:  # IncompleteSearch too: an export holds every match or is refused
        return error(str(exc))
    reproduce = request.build_absolute_uri(reverse("articles:search") + "?" + search_query(params).urlencode())
    stream = ResultExport(
        fmt,
        matches,
        export_header(matches, reproduce),
        site=request.build_absolute_uri("/").rstrip("/"),
        bom=request.GET.get("bom") == "1",
    )
    response = StreamingHttpResponse(stream, content_type=fmt.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    response["X-Kzarchive-Count"] = str(matches.count)
    return response


@require_GET
def search_export(request):
    return _export(request, lambda message: HttpResponse(message, status=400, content_type="text/plain; charset=utf-8"))


@require_GET
def api_search_export(request):
    return _export(request, json_error)
