"""HTML pages. Thin: validate, call search/domain functions, render."""

from __future__ import annotations

import calendar
import datetime as dt
import logging

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from articles import engine, progressive
from articles import query_links as links
from articles.forms import BadParameter, parse_params
from articles.highlight import query_plan
from articles.index_state import SearchUnavailable
from articles.models import Article, Credit, Person, Source, StanceCategory
from articles.names.directory import article_mentions
from articles.rendering import render_body
from articles.search import SearchParams, SearchResults, more_like_this, normalize_query, search_articles


def _search_page(
    request, *, title: str, preset: dict | None = None, span=None, intro=None, template="articles/search.html"
):
    """A results page. `preset` is the page's own subset ({facet: value}); `span` (first day, last day) the
    dates a date page covers: the reader's filters and dates narrow within them, never beyond. Exports of
    the page (query_links.search_query) read both back from `params`."""
    try:
        params = parse_params(request.GET)
        error = ""
    except BadParameter as exc:  # say what is wrong and search nothing: a count of something else misleads
        params, error = SearchParams(q=request.GET.get("q", "")[:500]), str(exc)
    for name, value in (preset or {}).items():
        chosen = getattr(params, name)
        if chosen and chosen != [value] and not error:
            # Values of a facet are alternatives: outlet=InformNapalm on Al Jazeera's page would list both
            # outlets under its title. Say so instead; the search page takes any combination.
            error = f"This page lists {name} “{value}” only; to choose another {name}, use the search page."
        setattr(params, name, [value])
    if span:
        params.within_dates(*span)
        params.sort = params.sort or "oldest"
    counts = progressive.wants_counts(request)  # the script asks for a deferred page's counts (progressive.py)
    try:
        if error:
            results = SearchResults.nothing(params)
        else:
            results = search_articles(params, with_snippets=not counts, first_page_only=progressive.may_defer(request))
    except InvalidPage:
        raise Http404("No such page of results.") from None
    facet_links = links.facet_links(request.GET, results.facets, preset or {})
    page_links = links.page_links(request.GET, results)
    if counts:
        return progressive.counts_response(results, facet_links, page_links)
    context = {
        "title": title,
        "intro": intro,
        "params": params,
        "results": results,
        "error": error,
        "chips": links.chips(request.GET, params, preset or {}),
        "facet_links": facet_links,
        "page_links": page_links,
        "exact_url": progressive.exact_url(request) if results.deferred else "",
        "sort_links": links.sort_links(request.GET, params) if results.count and not results.lacks("sorting") else [],
        "unknown_values": links.unknown_value_links(request.GET, results.unknown_values, preset or {}),
        "suggestion_url": links.changed(request.GET, page=None, q=results.suggestion) if results.suggestion else None,
        # Article links carry the whole listing (path, filters, sort, page) for the way back, and q to mark.
        "article_query": urlencode(
            {
                k: v
                for k, v in (
                    ("q", params.q),
                    ("spelling", "exact" if params.spelling == "exact" else ""),
                    ("back", request.get_full_path()),
                )
                if v
            }
        ),
    }
    return progressive.vary(render(request, template, context))


def browse(request):
    return _search_page(request, title="The archive")


def search(request):
    q = request.GET.get("q", "").strip()
    return _search_page(request, title=f"Search: {q}" if q else "Search")


def search_help(request):
    return render(request, "articles/help.html", {"title": "How to search"})


def detail(request, pk: int):
    article = get_object_or_404(Article.objects.for_listing().defer("raw_bytes"), pk=pk)
    q = request.GET.get("q", "")[:500]
    spelling = "exact" if request.GET.get("spelling") == "exact" else "variants"
    blocks, references = render_body(article, query_plan(normalize_query(q), spelling))
    back = request.GET.get("back", "")
    try:
        related = more_like_this(article)
    except SearchUnavailable as exc:  # the article is in the database; only its neighbours need the index
        logging.getLogger("articles.index").error("article %s without more-like-this: %s", pk, exc.reason)
        related = None
    context = {
        "title": article.title,
        "article": article,
        "blocks": blocks,
        "references": references,
        "unknown_urls": {"outlet": links.unknown_url("outlet"), "author": links.unknown_url("author")},
        "q": q,
        # An engine whose matches are not the index's words (haystack's simple): say why nothing is marked.
        "unmarked": engine.unavailable_notice("highlighting") if q.strip() else "",
        "related": related,
        "related_unavailable": related is None,
        "mentions": article_mentions(article),
        "back_url": back
        if _is_local(request, back)
        else (reverse("articles:search") + "?" + urlencode({"q": q}) if q else None),
    }
    return render(request, "articles/detail.html", context)


def _is_local(request, url: str) -> bool:
    """A path on this site (never another host, scheme or `//host`), safe to link as the way back."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})


def raw(request, pk: int):
    article = get_object_or_404(Article.objects.only("raw_text"), pk=pk)
    response = HttpResponse(article.raw_text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = "inline"
    return response


def _index(request, title: str, items, unknown: dict | None = None, intro: str = ""):
    context = {"title": title, "items": items, "unknown": unknown if unknown and unknown["n"] else None, "intro": intro}
    return render(request, "articles/index_list.html", context)


def _unknown(facet: str, n: int, description: str) -> dict:
    """The index's last row: the articles with no value for the facet, linked to their search."""
    return {"name": links.UNKNOWN_LABELS[facet], "n": n, "url": links.unknown_url(facet), "description": description}


def outlets(request):
    items = Source.objects.annotate(n=Count("articles")).filter(n__gt=0).order_by("name")
    unknown = _unknown(
        "outlet",
        Article.objects.filter(source=None).count(),
        "Articles whose outlet neither the text nor the curators name.",
    )
    return _index(request, "Outlets", items, unknown)


def outlet(request, slug: str):
    source = get_object_or_404(Source, slug=slug)
    return _search_page(request, title=source.name, preset={"outlet": source.name}, intro=source)


def people(request):
    """Everyone credited on an article, with their roles: authors, translators, editors..."""
    roles = dict(Credit.Role.choices)
    counts: dict[int, list[str]] = {}
    for row in Credit.objects.values("person", "role").annotate(n=Count("id")).order_by("person", "role"):
        counts.setdefault(row["person"], []).append(f"{roles.get(row['role'], row['role']).lower()} {row['n']}")
    items = list(Person.objects.annotate(n=Count("credits")).filter(n__gt=0).order_by("name"))
    for person in items:
        person.roles = ", ".join(counts.get(person.pk, []))
    unknown = _unknown(
        "author",
        Article.objects.exclude(credits__role=Credit.Role.AUTHOR).count(),
        "Articles whose text names no author and for which the curators know none.",
    )
    intro = "Everyone credited on an article, with the number of credits in each role."
    return _index(request, "People", items, unknown, intro)


CREDITS_PER_PAGE = 50


def person(request, slug: str):
    """One person's credits, every role (a translator's page lists her translations), newest first."""
    person = get_object_or_404(Person, slug=slug)
    credits = (
        Credit.objects.filter(person=person)
        .select_related("article__source")
        .defer("article__raw_bytes", "article__raw_text", "article__body")
        .order_by("-article__published_date", "article__title", "role")
    )
    roles = [
        {"role": Credit.Role(row["role"]).label if row["role"] in Credit.Role.values else row["role"], "n": row["n"]}
        for row in credits.order_by().values("role").annotate(n=Count("id")).order_by("role")
    ]
    try:
        page = Paginator(credits, CREDITS_PER_PAGE).page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page of credits.") from None
    is_author = any(c["role"] == Credit.Role.AUTHOR.label for c in roles)
    search_url = reverse("articles:browse") + "?" + urlencode({"author": person.name}) if is_author else ""
    context = {"title": person.name, "person": person, "roles": roles, "page": page, "search_url": search_url}
    return render(request, "articles/person.html", context)


def stances(request):
    items = StanceCategory.objects.annotate(n=Count("articles")).order_by("position", "name")
    unknown = _unknown(
        "stance", Article.objects.filter(stance=None).count(), "Articles the curators have not coded yet."
    )
    return _index(request, "Stances", items, unknown)


def stance(request, slug: str):
    category = get_object_or_404(StanceCategory, slug=slug)
    return _search_page(request, title=category.name, preset={"stance": category.name}, intro=category)


def dates(request):
    from django.db.models.functions import ExtractMonth, ExtractYear

    rows = (
        Article.objects.exclude(published_date=None)
        .annotate(y=ExtractYear("published_date"), m=ExtractMonth("published_date"))
        .values("y", "m", "date_precision")
        .annotate(n=Count("id"))
        .order_by("-y", "m")
    )
    years: dict[int, dict] = {}
    for row in rows:
        year = years.setdefault(row["y"], {"year": row["y"], "total": 0, "months": {}, "year_only": 0})
        year["total"] += row["n"]
        if row["date_precision"] == "year":
            year["year_only"] += row["n"]
        else:
            year["months"][row["m"]] = year["months"].get(row["m"], 0) + row["n"]
    undated = Article.objects.filter(published_date=None).count()
    context = {
        "title": "By date",
        "years": list(years.values()),
        "undated": undated,
        "undated_url": links.unknown_url("year"),
    }
    return render(request, "articles/dates.html", context)


def dates_year(request, year: int):
    if not 1000 <= year <= 9999:
        raise Http404
    return _search_page(request, title=f"Published in {year}", span=(dt.date(year, 1, 1), dt.date(year, 12, 31)))


def dates_month(request, year: int, month: int):
    if not (1000 <= year <= 9999 and 1 <= month <= 12):
        raise Http404
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    title = f"Published in {calendar.month_name[month]} {year}"
    return _search_page(request, title=title, span=(dt.date(year, month, 1), last))
