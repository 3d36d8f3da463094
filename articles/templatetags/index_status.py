"""{% index_status_line as line %}: a rebuild running on the search index (articles/rebuild_status.py)."""

from django import template

from articles import rebuild_status

register = template.Library()


@register.simple_tag
def index_status_line() -> str:
    return rebuild_status.current_line() or ""
