"""{% analysis_links params %}: the analysis tools on the search being shown (its filters and presets)."""

from django import template

from articles.analysis.views import tool_links
from articles.query_links import search_query

register = template.Library()


@register.inclusion_tag("analysis/includes/search_links.html")
def analysis_links(params):
    return {"tools": tool_links(search_query(params))}
