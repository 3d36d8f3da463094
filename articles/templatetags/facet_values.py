"""{% facet_values links %}: the list items of one facet, each value a link that adds or removes its filter.

Written in Python rather than a template loop: a results page lists a few hundred values (every outlet,
author and year of the matches), and Django's loop made a third of the page's rendering time. Values are
escaped with `html.escape` (what Django's `escape` does, without its lazy-string wrapper, which was half
of this tag's time at a few hundred values a page); labels and URLs are plain strings, never marked safe.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

ITEM = '<li><a href="{}"{}>{}</a> <span class="n">{}</span></li>'
SELECTED = ' class="selected" aria-current="true" aria-label="{} (selected; remove this filter)"'


@register.simple_tag
def facet_values(links: list[dict]) -> str:
    items = []
    for f in links:
        label = escape(str(f["label"]))
        selected = SELECTED.format(label) if f["selected"] else ""
        items.append(ITEM.format(escape(str(f["url"])), selected, label, escape(str(f["count"]))))
    return mark_safe("".join(items))
