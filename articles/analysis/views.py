"""The analysis pages: /analysis/{concordance,trends,compare,timeline}/. Thin: run the tool, lay it out."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from articles.analysis import charts, tools
from articles.analysis.api import concordance_link
from articles.analysis.compare import describe
from articles.analysis.concordance import SORTS as KWIC_SORTS
from articles.analysis.params import search_params, search_part, with_prefix
from articles.analysis.trends import BYS, SPLITS, TooManyPeriods
from articles.forms import BadParameter
from articles.highlight import mark_spans
from articles.models import Source, StanceCategory
from articles.query_links import changed, passage_url

TOOLS = (("concordance", "Concordance"), ("trends", "Trends"), ("compare", "Compare"), ("timeline", "Timeline"))


def tool_links(query: QueryDict, current: str = "") -> list[dict]:
    """The four tools on the same search; Compare puts the search in set A against the whole archive."""
    search = search_part(query)
    links = []
    for name, label in TOOLS:
        qs = with_prefix(search, "a.") if name == "compare" else search
        url = reverse(f"articles:analysis_{name}") + ("?" + qs.urlencode() if qs else "")
        links.append({"name": name, "label": label, "url": url, "current": name == current})
    return links


def _page(request, tool: str, subject: str = "", **extra):
    """The tool's page (analysis/<tool>.html), titled "Tool: subject", with what every tool page shows: the
    tool links, the search it covers, and its JSON and CSV addresses."""
    title = dict(TOOLS)[tool] + (f": {subject}" if subject else "")
    search = search_part(request.GET)
    try:
        searched = describe(search_params(request.GET)) if tool != "compare" else ""
    except BadParameter:
        searched = ""
    api = reverse(f"articles:api_analysis_{tool}")
    query = request.GET.urlencode()
    csv_query = request.GET.copy()
    csv_query.pop("page", None)
    csv_query["format"] = "csv"
    context = {
        "title": title,
        "tool": tool,
        "tools": tool_links(request.GET if tool != "compare" else QueryDict(), tool),
        "searched": searched,
        "search_url": reverse("articles:search") + ("?" + search.urlencode() if search else ""),
        "json_url": api + ("?" + query if query else ""),
        "csv_url": api + "?" + csv_query.urlencode(),
        **extra,
    }
    return render(request, f"analysis/{tool}.html", context)


# --- concordance ----------------------------------------------------------------------------------------------


def concordance(request):
    try:
        run = tools.run_concordance(request.GET)
    except BadParameter as exc:
        return _page(request, "concordance", error=exc)
    result = run.result
    lines = result.sorted_lines(run.sort)
    shown = Paginator(lines, run.page_size).get_page(run.page)  # past the last page: the last page
    rows = [
        {"line": ln, "url": passage_url(ln.article.id, result.keyword_query, result.params.spelling, ln.paragraph)}
        for ln in shown
    ]
    sort_links = [
        {"label": "Text order", "url": changed(request.GET, sort=None, page=None), "active": not run.sort}
    ] + [
        {
            "label": s if s in ("L1", "L2", "R1", "R2") else s.capitalize(),
            "url": changed(request.GET, sort=s, page=None),
            "active": run.sort == s,
        }
        for s in KWIC_SORTS
    ]
    pages = {
        "previous": changed(request.GET, page=shown.previous_page_number()) if shown.has_previous() else None,
        "next": changed(request.GET, page=shown.next_page_number()) if shown.has_next() else None,
        "number": shown.number,
        "count": shown.paginator.num_pages,
    }
    hidden = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k not in ("context", "page")]
    return _page(
        request,
        "concordance",
        run.kw or run.params.q,
        run=run,
        result=result,
        rows=rows,
        sort_links=sort_links,
        pages=pages,
        hidden=hidden,
    )


# --- trends -----------------------------------------------------------------------------------------------------


def trends(request):
    try:
        result = tools.run_trends(request.GET)
    except (BadParameter, TooManyPeriods) as exc:
        return _page(request, "trends", error=exc)
    series = result.series()
    top_count = max((r.articles for r in result.rows), default=0)
    charts_by_split = []
    for i, (name, rows) in enumerate(series.items(), start=1):
        points = [(r.period, r.articles) for r in rows]
        shares = [(r.period, r.share) for r in rows]
        charts_by_split.append(
            {
                "name": name,
                "count_id": f"count-{i}",
                "share_id": f"share-{i}",
                "count_chart": charts.column_chart(
                    points,
                    title=f"Matching articles per {result.by}: {name}",
                    description=f"{sum(r.articles for r in rows)} articles over {len(rows)} {result.by}s",
                    y_max=top_count,
                ),
                "share_chart": charts.column_chart(
                    shares,
                    title=f"Share of all articles per {result.by}: {name}",
                    description="Matching articles as a share of every archive article placed in the period",
                    y_max=max((s for _, s in shares if s is not None), default=0),
                    percent=True,
                ),
            }
        )
    by_links = [{"label": b, "url": changed(request.GET, by=b), "active": result.by == b} for b in BYS]
    split_links = [
        {
            "label": {"none": "no split"}.get(s, f"by {s}"),
            "url": changed(request.GET, split=s),
            "active": result.split == s,
        }
        for s in SPLITS
    ]
    return _page(
        request,
        "trends",
        result.params.q,
        result=result,
        charts=charts_by_split,
        by_links=by_links,
        split_links=split_links,
    )


# --- compare -----------------------------------------------------------------------------------------------------


def compare(request):
    sources = list(Source.objects.filter(articles__isnull=False).distinct().values_list("name", flat=True))
    stances = list(StanceCategory.objects.values_list("name", flat=True))
    try:
        run = tools.run_compare(request.GET)
    except BadParameter as exc:
        return _page(request, "compare", error=exc, sets=_set_forms(request, sources, stances))
    sides = []
    for side, word_set, info in (("A", run.a_set, run.result.a), ("B", run.b_set, run.result.b)):
        words = run.result.top(side, run.rank, run.top, run.show_stop)
        sides.append(
            {
                "name": side,
                "info": info,
                "tools": tool_links(word_set.query),
                "words": [{"k": k, "url": concordance_link(request, word_set, k.term, absolute=False)} for k in words],
            }
        )
    chart_rows = [(k.term, k.log_odds_z) for k in run.result.top("A", run.rank, 15, run.show_stop)]
    chart_rows += [(k.term, k.log_odds_z) for k in reversed(run.result.top("B", run.rank, 15, run.show_stop))]
    chart = charts.diverging_chart(
        chart_rows,
        title="Most distinctive words: log-odds z-score (right: set A, left: set B)",
        description=f"{len(chart_rows)} words; the tables below give every number",
    )
    option_links = {
        "rank": [
            {"label": r, "url": changed(request.GET, rank=r), "active": run.rank == r}
            for r in ("logodds", "g2", "logratio")
        ],
        "ngram": [
            {"label": "words", "url": changed(request.GET, ngram=None), "active": run.result.ngram == 1},
            {"label": "two-word phrases", "url": changed(request.GET, ngram="2"), "active": run.result.ngram == 2},
        ],
        "stop": {
            "label": "hide stop words" if run.show_stop else "show stop words",
            "url": changed(request.GET, stopwords=None if run.show_stop else "show"),
        },
    }
    return _page(
        request,
        "compare",
        run=run,
        sides=sides,
        chart=chart,
        option_links=option_links,
        sets=_set_forms(request, sources, stances),
    )


SET_FIELDS = ("q", "outlet", "stance", "from", "to")  # what the compare form has a field for, per set


def _set_forms(request, sources, stances) -> dict:
    """The two sets as form fields (prefixed a. / b.); values the form has no field for stay as hidden inputs."""
    forms = []
    for prefix, name in (("a.", "A"), ("b.", "B")):
        own = {key[len(prefix) :]: request.GET.getlist(key) for key in request.GET if key.startswith(prefix)}
        hidden = [(prefix + k, v) for k, values in own.items() if k not in SET_FIELDS for v in values]
        hidden += [(prefix + k, v) for k in ("outlet", "stance") for v in own.get(k, [])[1:]]
        fields = {k: (own.get(k) or [""])[0] for k in SET_FIELDS}  # the first value of each; more are hidden
        forms.append({"name": name, "prefix": prefix, **fields, "hidden": hidden})
    options = [
        (k, request.GET.get(k)) for k in ("ngram", "rank", "min", "top", "alpha0", "stopwords") if request.GET.get(k)
    ]
    return {"sets": forms, "sources": sources, "stances": stances, "options": options}


# --- timeline -----------------------------------------------------------------------------------------------------


def timeline(request):
    try:
        result = tools.run_timeline(request.GET)
    except BadParameter as exc:
        return _page(request, "timeline", error=exc)
    points = [(day.date.isoformat(), len(day.mentions)) for day in result.days]
    chart = charts.column_chart(
        points,
        title="Mentions per day",
        description=f"{len(points)} days with at least one mention; days without mentions are not drawn",
    )
    days = [
        {
            "day": day,
            "outlets": [
                {"name": outlet, "items": [_timeline_item(request, item, result.params) for item in items]}
                for outlet, items in day.by_outlet()
            ],
        }
        for day in result.days
    ]
    not_placed = [_timeline_item(request, item, result.params) for item in result.not_placed]
    return _page(request, "timeline", result.params.q, result=result, chart=chart, days=days, not_placed=not_placed)


def _timeline_item(request, item, params) -> dict:
    m = item.mention
    start, end = m.start - m.sentence_start, m.end - m.sentence_start
    sentence = mark_safe(mark_spans(m.sentence, [(start, end)], 0, len(m.sentence)))
    return {
        "article": item.article,
        "outlet": item.outlet,
        "sentence": sentence,
        "mention": m,
        "url": passage_url(item.article.id, params.q, params.spelling, item.paragraph),
    }
