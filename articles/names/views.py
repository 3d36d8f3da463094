"""The entity pages and their JSON: /entities/, /entities/<slug>/, /api/entities, /api/entities/<slug>."""

from __future__ import annotations

from django.core.paginator import InvalidPage
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from articles.api import json_error, json_response
from articles.export import article_record
from articles.names.directory import entity_list, entity_report
from articles.names.models import Entity


def _kind(request) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in Entity.Kind.values else ""


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() else 0  # 0 is past the start: InvalidPage


@require_GET
def entities(request):
    kind = _kind(request)
    items = entity_list(kind)
    context = {
        "title": "Names in the archive",
        "items": items,
        "kind": kind,
        "kinds": Entity.Kind.choices,
        "stale": Entity.objects.filter(mentions_stale=True).exists(),
    }
    return render(request, "names/entities.html", context)


@require_GET
def entity(request, slug: str):
    obj = get_object_or_404(Entity.objects.prefetch_related("variants"), slug=slug)
    try:
        report = entity_report(obj, _page_number(request))
    except InvalidPage:
        raise Http404("No such page of articles.") from None
    return render(request, "names/entity.html", {"title": obj.name, "report": report, "entity": obj})


def _entity_json(request, e: Entity) -> dict:
    return {
        "name": e.name,
        "slug": e.slug,
        "kind": e.kind,
        "url": request.build_absolute_uri(e.get_absolute_url()),
        "articles": e.n_articles,
        "mentions": e.n_mentions,
        "stale": e.mentions_stale,
    }


@require_GET
def api_entities(request):
    items = [_entity_json(request, e) for e in entity_list(_kind(request))]
    return json_response({"count": len(items), "results": items})


@require_GET
def api_entity(request, slug: str):
    obj = Entity.objects.with_counts().prefetch_related("variants").filter(slug=slug).first()
    if obj is None:
        return json_error(f"No entity {slug!r}.", status=404)
    try:
        report = entity_report(obj, _page_number(request))
    except InvalidPage as exc:
        return json_error(str(exc))
    data = _entity_json(request, obj)
    data.update(
        description=obj.description,
        provenance=obj.provenance,
        variants=[{"text": v.text, "language": v.language, "kind": v.kind, "note": v.note} for v in obj.variants.all()],
        spellings_found=[{"form": form, "count": n} for form, n in report.spellings],
        by_outlet=[{"outlet": b.label, "articles": b.articles, "mentions": b.mentions} for b in report.by_outlet],
        by_stance=[{"stance": b.label, "articles": b.articles, "mentions": b.mentions} for b in report.by_stance],
        page=report.page.number,
        num_pages=report.page.paginator.num_pages,
        results=[
            {
                **article_record(row.article, ("id", "title", "outlet", "stance", "published")),
                "url": request.build_absolute_uri(row.article.get_absolute_url()),
                "count": row.count,
                "forms": row.forms,
                "sentences": [str(s.html) for s in row.sentences],
            }
            for row in report.rows
        ],
    )
    return json_response(data)
