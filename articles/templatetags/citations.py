"""Template tags for citations on article pages and exports on result pages."""

from __future__ import annotations

from django import template
from django.urls import reverse

from articles.citations.csl import formatted_references
from articles.citations.embedded import meta_tags
from articles.citations.formats import FORMATS
from articles.citations.views import item_for
from articles.query_links import search_query

register = template.Library()

EXPORT_CHOICES = [  # (label, format, extra parameters)
    ("CSV", "csv", {}),
    ("CSV for Excel (UTF-8 with BOM)", "csv", {"bom": "1"}),
    ("JSON Lines", "jsonl", {}),
    ("RIS (Zotero, EndNote, Mendeley)", "ris", {}),
    ("BibLaTeX", "bib", {}),
    ("CSL-JSON", "csl.json", {}),
]


@register.inclusion_tag("citations/meta.html", takes_context=True)
def citation_meta(context, article):
    return {"tags": meta_tags(item_for(context["request"], article))}


@register.inclusion_tag("citations/cite.html", takes_context=True)
def cite_panel(context, article):
    item = item_for(context["request"], article)
    return {
        "item": item,
        "references": formatted_references(item),
        "downloads": [(f.label, reverse("articles:cite", args=[article.pk, f.name])) for f in FORMATS.values()],
    }


@register.inclusion_tag("citations/export.html")
def export_control(params, count):
    links = []
    for label, fmt, extra in EXPORT_CHOICES:
        query = search_query(params)
        query.update({"format": fmt, **extra})
        links.append((label, reverse("articles:search_export") + "?" + query.urlencode()))
    return {"links": links, "count": count}


@register.simple_tag
def unapi_server():
    return reverse("articles:unapi")
