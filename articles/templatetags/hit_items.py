"""{% hit_items hits article_query %}: the results page's list items, one an article found.

Written in Python rather than a template included per hit, as the facet values are (facet_values.py):
Django's include, `with`, `if` and filters made about 8 ms of a results page of 20 hits at 100,000
articles, a fifth of a cached refinement. Every value is escaped with `html.escape` (what Django's
`escape` does); the snippet is already escaped HTML (highlight.mark_spans) and passes through Django's
`conditional_escape`, which leaves only such marked-safe text as it is.
"""

from html import escape

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def hit_items(hits, article_query: str) -> str:
    return mark_safe("".join(_item(hit, escape(str(article_query))) for hit in hits))


def _item(hit, query: str) -> str:
    a = hit.article
    outlet = escape(a.source.name) if a.source else "Unknown outlet"
    authors = f' · <span class="authors">{escape(", ".join(a.author_names))}</span>' if a.author_names else ""
    iso = a.published_iso
    datetime = f' datetime="{escape(iso)}"' if iso else ""
    stance = f' · <span class="stance">{escape(a.stance.name)}</span>' if a.stance else ""
    snippet = f'<p class="snippet">{conditional_escape(hit.snippet)}</p>' if hit.snippet else ""
    return (
        f'<li class="hit"><abbr class="unapi-id" title="{a.pk}"></abbr>\n'
        f'  <h2><a href="{escape(a.get_absolute_url())}?{query}">{escape(a.title)}</a></h2>\n'
        f'  <p class="meta"><span class="outlet">{outlet}</span>{authors}'
        f" · <time{datetime}>{escape(a.published_display)}</time>{stance}</p>\n"
        f"  {snippet}\n</li>\n"
    )
