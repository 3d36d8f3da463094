"""{% analysis_links params %}: the analysis tools on the search being shown (its filters and presets)."""

from django import template

from articles.analysis.params import params_query
from articles.analysis.views import tool_links

register = template.Library()


@register.inclusion_tag("analysis/includes/search_links.html")
def analysis_links(params):
    return {"tools": tool_links(params_query(params))}
