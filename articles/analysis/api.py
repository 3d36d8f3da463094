"""JSON and CSV for the analysis tools: /api/analysis/{concordance,trends,compare,timeline}.

Each tool's rows are built once (`*_rows`) and written either as JSON or, with `format=csv`, as CSV with
the same columns in the same order (text that a spreadsheet would run as a formula gets a leading
apostrophe). The concordance's JSON is paged; its CSV has every line. A partial
result (the analysis limits were reached) says so: `truncated` and `notice` in JSON; in CSV an
`X-Analysis-Notice` header and a file name ending in `-partial`.
"""

from __future__ import annotations

import functools

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from articles.analysis import tools
from articles.analysis.concordance import Concordance
from articles.analysis.params import search_part
from articles.analysis.trends import TooManyPeriods
from articles.api import json_error, json_response
from articles.forms import BadParameter
from articles.query_links import passage_url
from articles.result_export import csv_text, spreadsheet_safe


def _tool_endpoint(view):
    """GET only; parameters the tool refuses answer 400 with its message."""

    @require_GET
    @functools.wraps(view)
    def endpoint(request):
        try:
            return view(request)
        except (BadParameter, TooManyPeriods) as exc:
            return json_error(str(exc))

    return endpoint


def csv_value(value) -> str:
    """How a JSON value is written in CSV: null is empty, true/false as in JSON, numbers in full.

    Text from articles is untrusted: a cell starting with = + - @ would run as a formula when the file
    is opened in a spreadsheet, so such text gets a leading apostrophe (OWASP's advice). Numbers never do.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(spreadsheet_safe(value))


def csv_response(rows: list[dict], columns: list[str], name: str, notice: str = "") -> HttpResponse:
    cells = [[csv_value(row[c]) for c in columns] for row in rows]
    response = HttpResponse(csv_text([columns, *cells]), content_type="text/csv; charset=utf-8")
    filename = f"kzarchive-{name}{'-partial' if notice else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if notice:
        response["X-Analysis-Notice"] = notice.encode("ascii", "replace").decode()
    return response


def article_url(request, article_id: int, q: str, spelling: str, paragraph: int | None) -> str:
    return request.build_absolute_uri(passage_url(article_id, q, spelling, paragraph))


# --- concordance ------------------------------------------------------------------------------------------

CONCORDANCE_COLUMNS = [
    "article",
    "title",
    "outlet",
    "published",
    "left",
    "match",
    "right",
    "offset",
    "paragraph",
    "url",
]


def concordance_rows(request, result: Concordance, lines) -> list[dict]:
    return [
        {
            "article": ln.article.id,
            "title": ln.article.title,
            "outlet": ln.article.outlet,
            "published": ln.article.published_iso,
            "left": ln.left,
            "match": ln.match,
            "right": ln.right,
            "offset": ln.offset,
            "paragraph": ln.paragraph,
            "url": article_url(request, ln.article.id, result.keyword_query, result.params.spelling, ln.paragraph),
        }
        for ln in lines
    ]


@_tool_endpoint
def concordance(request):
    run = tools.run_concordance(request.GET)
    result = run.result
    lines = result.sorted_lines(run.sort)
    if request.GET.get("format") == "csv":
        return csv_response(concordance_rows(request, result, lines), CONCORDANCE_COLUMNS, "concordance", result.notice)
    paginator = Paginator(lines, run.page_size)
    if run.page > paginator.num_pages:
        return json_error(f"Page {run.page} does not exist (there are {paginator.num_pages}).")
    return json_response(
        {
            "query": run.params.q,
            "kw": run.kw or None,
            "context": result.context,
            "sort": run.sort or "search",
            "count": result.count,
            "page": run.page,
            "page_size": run.page_size,
            "num_pages": paginator.num_pages,
            "matching_articles": result.reading.matches,
            "articles_read": result.reading.read,
            "truncated": result.truncated,
            "notice": result.notice or None,
            "message": result.reading.message or None,
            "lines": concordance_rows(request, result, paginator.page(run.page)),
        }
    )


# --- trends -------------------------------------------------------------------------------------------------

TRENDS_COLUMNS = ["period", "start", "split", "articles", "occurrences", "all_articles", "share"]


def trends_rows(result) -> list[dict]:
    return [
        {
            "period": row.period,
            "start": row.start.isoformat(),
            "split": row.split,
            "articles": row.articles,
            "occurrences": row.occurrences,
            "all_articles": row.all_articles,
            "share": row.share,
        }
        for row in result.rows
    ]


@_tool_endpoint
def trends(request):
    result = tools.run_trends(request.GET)
    rows = trends_rows(result)
    if request.GET.get("format") == "csv":
        return csv_response(rows, TRENDS_COLUMNS, "trends", result.notice)
    return json_response(
        {
            "query": result.params.q,
            "by": result.by,
            "split": result.split,
            "count": result.matches,
            "occurrences_counted": result.occurrences_counted,
            "truncated": bool(result.notice),
            "notice": result.notice or None,
            "message": result.message or None,
            "periods": [label for label, _ in result.periods],
            "rows": rows,
            "not_placed": [
                {
                    "article": f.id,
                    "title": f.title,
                    "published": f.published_iso,
                    "date_precision": f.date_precision,
                }
                for f in result.not_placed
            ],
        }
    )


# --- compare ------------------------------------------------------------------------------------------------

COMPARE_COLUMNS = ["side", "word", "a", "b", "g2", "log_ratio", "log_odds_z", "stop", "concordance"]


def concordance_link(request, word_set, term: str, absolute: bool = True) -> str:
    """The concordance of one word (or pair, as a phrase) inside one side's search."""
    query = search_part(word_set.query)
    query["kw"] = f'"{term}"' if " " in term else term
    url = reverse("articles:analysis_concordance") + "?" + query.urlencode()
    return request.build_absolute_uri(url) if absolute else url


def compare_rows(request, run) -> list[dict]:
    return [
        {
            "side": side,
            "word": k.term,
            "a": k.a,
            "b": k.b,
            "g2": round(k.g2, 4),
            "log_ratio": round(k.log_ratio, 4),
            "log_odds_z": round(k.log_odds_z, 4),
            "stop": k.stop,
            "concordance": concordance_link(request, word_set, k.term),
        }
        for side, word_set in (("A", run.a_set), ("B", run.b_set))
        for k in run.result.top(side, run.rank, run.top, run.show_stop)
    ]


def _set_info(word_set, query) -> dict:
    return {
        "description": word_set.description,
        "params": {key: query.getlist(key) for key in query},
        "matches": word_set.reading.matches,
        "read": word_set.reading.read,
        "words": word_set.total,
        "truncated": word_set.reading.truncated,
        "message": word_set.reading.message or None,
    }


@_tool_endpoint
def compare(request):
    run = tools.run_compare(request.GET)
    rows = compare_rows(request, run)
    if request.GET.get("format") == "csv":
        return csv_response(rows, COMPARE_COLUMNS, "compare", run.notice)
    result = run.result
    return json_response(
        {
            "a": _set_info(result.a, run.a_set.query),
            "b": _set_info(result.b, run.b_set.query),
            "shared_articles": result.shared_articles,
            "ngram": result.ngram,
            "alpha0": result.alpha0,
            "min_count": result.min_count,
            "rank": run.rank,
            "top": run.top,
            "stop_words_shown": run.show_stop,
            "truncated": bool(run.notice),
            "notice": run.notice or None,
            "words": rows,
        }
    )


# --- timeline -----------------------------------------------------------------------------------------------

TIMELINE_COLUMNS = [
    "date",
    "article",
    "title",
    "outlet",
    "stance",
    "published",
    "expression",
    "via",
    "sentence",
    "offset",
    "url",
]


def _mention(request, item, params) -> dict:
    m, a = item.mention, item.article
    return {
        "article": a.id,
        "title": a.title,
        "outlet": a.outlet,
        "stance": a.stance,
        "published": a.published_iso,
        "expression": m.expression,
        "via": m.via or None,
        "sentence": m.sentence,
        "offset": m.start,
        "url": article_url(request, a.id, params.q, params.spelling, item.paragraph),
    }


def timeline_rows(request, result) -> list[dict]:
    return [
        {"date": day.date.isoformat(), **_mention(request, item, result.params)}
        for day in result.days
        for item in day.mentions
    ]


@_tool_endpoint
def timeline(request):
    result = tools.run_timeline(request.GET)
    notice = result.reading.notice
    if request.GET.get("format") == "csv":
        return csv_response(timeline_rows(request, result), TIMELINE_COLUMNS, "timeline", notice)
    q = result.params.q
    return json_response(
        {
            "query": q,
            "count": result.count,
            "matching_articles": result.reading.matches,
            "articles_read": result.reading.read,
            "truncated": result.reading.truncated,
            "notice": notice or None,
            "message": result.reading.message or None,
            "days": [
                {
                    "date": day.date.isoformat(),
                    "mentions": [_mention(request, item, result.params) for item in day.mentions],
                }
                for day in result.days
            ],
            "not_placed": [
                {
                    "article": item.article.id,
                    "outlet": item.article.outlet,
                    "expression": item.mention.expression,
                    "sentence": item.mention.sentence,
                    "reason": item.mention.reason,
                }
                for item in result.not_placed
            ],
        }
    )
