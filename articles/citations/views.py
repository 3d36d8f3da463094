"""HTTP side of citations: /articles/<id>/cite.<ext>, the API's ?format=, and the unAPI server."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_GET

from articles.citations.formats import BY_UNAPI_NAME, FORMATS, CitationFormat
from articles.citations.item import CitationItem, citation_item
from articles.models import Article


def item_for(request, article: Article) -> CitationItem:
    """The article as a citation, accessed today, with its permalink on this host."""
    return citation_item(article, request.build_absolute_uri(article.get_absolute_url()), timezone.localdate())


def _article(pk) -> Article:
    return get_object_or_404(Article.objects.for_listing().defer("raw_bytes", "raw_text", "body"), pk=pk)


def citation_response(request, article: Article, fmt: CitationFormat, *, download: bool = True) -> HttpResponse:
    response = HttpResponse(fmt.render([item_for(request, article)]), content_type=fmt.content_type)
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="kzarchive-{article.pk}.{fmt.name}"'
    return response


@require_GET
def cite(request, pk: int, ext: str):
    fmt = FORMATS.get(ext)
    if fmt is None:
        raise Http404(f"No citation format {ext!r}.")
    return citation_response(request, _article(pk), fmt)


def _formats_xml(formats, item_id: str | None = None) -> str:
    attr = f' id="{escape(item_id)}"' if item_id is not None else ""
    rows = "".join(
        f'  <format name="{f.unapi_name}" type="{f.content_type.split(";")[0]}" docs="{f.docs}"/>\n' for f in formats
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<formats{attr}>\n{rows}</formats>\n'


@require_GET
def unapi(request):
    """unAPI 1.0: formats (200), formats of one id (300), one id in one format (200); 404/406/400 otherwise.

    Ids are article ids, as in `<abbr class="unapi-id" title="4">` on result pages.
    """
    item_id, name = request.GET.get("id"), request.GET.get("format")
    if item_id is None:
        if name:
            return HttpResponse("format given without id", status=400, content_type="text/plain; charset=utf-8")
        return HttpResponse(_formats_xml(FORMATS.values()), content_type="application/xml; charset=utf-8")
    if not item_id.isdigit() or not Article.objects.filter(pk=int(item_id)).exists():
        return HttpResponse(f"no item {item_id[:40]!r}", status=404, content_type="text/plain; charset=utf-8")
    if not name:
        return HttpResponse(
            _formats_xml(FORMATS.values(), item_id), status=300, content_type="application/xml; charset=utf-8"
        )
    fmt = BY_UNAPI_NAME.get(name)
    if fmt is None:
        return HttpResponse(f"no format {name[:40]!r}", status=406, content_type="text/plain; charset=utf-8")
    return citation_response(request, _article(int(item_id)), fmt, download=False)
