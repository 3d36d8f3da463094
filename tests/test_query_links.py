"""`changed` builds a link's query string from pairs encoded once; it must be exactly the string Django's
QueryDict gives when copied, changed and encoded (key order, repeated keys, UTF-8, reserved characters)."""

from __future__ import annotations

import re

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


def squeezed(html: str) -> str:
    """Markup with whitespace runs made one space and none left between tags (where it renders as nothing)."""
    return re.sub(r">\s+<", "><", " ".join(html.split()))


# The results page's list item as it was written with a template included per hit (templates/includes/hit.html).
HIT_TEMPLATE = """{% for hit in hits %}{% with a=hit.article %}
<li class="hit"><abbr class="unapi-id" title="{{ a.pk }}"></abbr>
  <h2><a href="{{ a.get_absolute_url }}?{{ article_query }}">{{ a.title }}</a></h2>
  <p class="meta">
    <span class="outlet">{% if a.source %}{{ a.source.name }}{% else %}Unknown outlet{% endif %}</span>
    {% if a.author_names %} · <span class="authors">{{ a.author_names|join:", " }}</span>{% endif %}
    · <time{% if a.published_iso %} datetime="{{ a.published_iso }}"{% endif %}>{{ a.published_display }}</time>
    {% if a.stance %} · <span class="stance">{{ a.stance.name }}</span>{% endif %}
  </p>
  {% if hit.snippet %}<p class="snippet">{{ hit.snippet }}</p>{% endif %}
</li>
{% endwith %}{% endfor %}"""


@pytest.mark.django_db
def test_hit_items_are_the_included_templates_markup_escaped():
    """The result list is written in Python for speed; it must be the markup and escaping of the template it
    replaced (whitespace aside), for articles with and without outlet, authors, date and stance, hostile text
    in every field and a snippet that is already marked HTML."""
    import datetime as dt

    from django.template import engines
    from django.utils.safestring import mark_safe

    from articles.models import Article, Credit, Person, Source, StanceCategory
    from articles.search import Hit

    hostile = "<script>\"x\" & 'y'</script>"
    source = Source.objects.create(name=f"Outlet {hostile}", slug="outlet-hostile")
    stance = StanceCategory.objects.create(name=f"Stance {hostile}", slug="stance-hostile")
    full = Article.objects.create(
        title=f"Title {hostile}",
        body="b",
        source=source,
        stance=stance,
        published_date=dt.date(2022, 1, 6),
        date_precision=Article.Precision.DAY,
        source_file="a.txt",
        sha256="a" * 64,
    )
    for i, name in enumerate([f"Author {hostile}", "Saule Ivanova"]):
        Credit.objects.create(
            article=full, person=Person.objects.create(name=name, slug=f"p{i}"), role="author", position=i
        )
    bare = Article.objects.create(title="Bare", body="b", source_file="b.txt", sha256="b" * 64)
    articles = Article.objects.for_listing().in_bulk([full.pk, bare.pk])
    hits = [
        Hit(article=articles[full.pk], score=1.0, snippet=mark_safe(f"…the <mark>{hostile[:1]}</mark> text…")),
        Hit(article=articles[bare.pk], score=0.5, snippet=""),
    ]
    context = {"hits": hits, "article_query": "q=Tokayev&spelling=exact"}
    django_templates = engines["django"]
    expected = django_templates.from_string(HIT_TEMPLATE).render(context)
    html = django_templates.from_string("{% load hit_items %}{% hit_items hits article_query %}").render(context)
    assert squeezed(html) == squeezed(expected)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<mark>" in html
