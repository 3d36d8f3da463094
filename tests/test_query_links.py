"""`changed` builds a link's query string from pairs encoded once; it must be exactly the string Django's
QueryDict gives when copied, changed and encoded (key order, repeated keys, UTF-8, reserved characters)."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from articles.query_links import changed

QUERIES = [
    "",
    "q=Tokayev+%22CSTO%22&outlet=Al+Jazeera&outlet=%D0%A0%D0%98%D0%90&page=3&year=2022",
    "a=1&a=2&b=&page=&c=%26%3D%2B",
    "q=caf%C3%A9&sort=newest&spelling=exact",
]
CHANGES = [
    {"page": None},
    {"page": 4},
    {"outlet": ["Al Jazeera", "é&=+ /"], "page": None},
    {"outlet": []},
    {"outlet": ""},
    {"sort": "oldest", "page": None},
    {"new": "z z", "other": ["x", ""]},
    {"q": "«Токаев» OR Tokayev~2", "page": None},
]


def reference(query: QueryDict, **changes) -> str:
    q = query.copy()
    for key, value in changes.items():
        if value is None or value == "":
            q.pop(key, None)
        elif isinstance(value, list):
            q.setlist(key, value)
        else:
            q[key] = str(value)
    return "?" + q.urlencode()


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("changes", CHANGES)
def test_a_changed_link_is_the_query_dicts_own_encoding(query, changes):
    q = QueryDict(query)
    assert changed(q, **changes) == reference(q, **changes)
    assert q.urlencode() == QueryDict(query).urlencode()  # the page's own query is left as it was


FACET_LOOP = (
    '{% for f in links %}<li><a href="{{ f.url }}"{% if f.selected %} class="selected" aria-current="true" '
    'aria-label="{{ f.label }} (selected; remove this filter)"{% endif %}>{{ f.label }}</a> '
    '<span class="n">{{ f.count }}</span></li>{% endfor %}'
)


def test_facet_values_are_the_template_loops_markup_escaped():
    """The facet list is written in Python for speed; it must be the markup (and escaping) of the template
    loop it replaced, for a selected and a plain value with hostile text."""
    from django.template import engines

    links = [
        {"url": '?q=a&outlet=%3Cb%3E&x="1"', "label": "<script>\"x\" & 'y'", "count": 12345, "selected": True},
        {"url": "?q=Tokayev", "label": "Al Jazeera", "count": 3, "selected": False},
    ]
    django_templates = engines["django"]
    expected = django_templates.from_string(FACET_LOOP).render({"links": links})
    html = django_templates.from_string("{% load facet_values %}{% facet_values links %}").render({"links": links})
    assert html == expected
    assert "<script>" not in html and "&lt;script&gt;" in html
