"""{% facet_values links %}: the list items of one facet, each value a link that adds or removes its filter.

Written in Python rather than a template loop: a results page lists a few hundred values (every outlet,
author and year of the matches), and Django's loop made a third of the page's rendering time.
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

ITEM = '<li><a href="{}"{}>{}</a> <span class="n">{}</span></li>'
SELECTED = ' class="selected" aria-current="true" aria-label="{} (selected; remove this filter)"'


@register.simple_tag
def facet_values(links: list[dict]) -> str:
    return format_html_join(
        "",
        ITEM,
        ((f["url"], format_html(SELECTED, f["label"]) if f["selected"] else "", f["label"], f["count"]) for f in links),
    )
