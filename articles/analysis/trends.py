"""Attention over time: matching articles (and occurrences of the query) per period, raw and normalised.

Partial dates are placed only in periods that contain their whole span: an article known to January 2022
counts in the month (and year) view and is listed as "not placed" in the day and week views; one known
only to 2022 only in the year view. Nothing is spread over days or guessed.

Normalised attention is the share of ALL archive articles placed in that period (and split value) that
match: 3 of 12 PolitNavigator articles in the week of 3 January is 25%. Denominators follow the same
placement rule as the counts.

Occurrences need the bodies: they are counted when every matching body could be read within the analysis
limits (articles.analysis.corpus). Past the limit they are not shown at all, with a notice, because the
first N articles in the search's order would draw a false trend.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count

from articles.analysis.corpus import Facts, Reading, article_facts, read_bodies
from articles.analysis.spans import query_matcher
from articles.models import Article
from articles.search import Matches, SearchParams, matching_ids

BYS = ("day", "week", "month", "year")
SPLITS = ("none", "outlet", "stance")
PLACEABLE = {
    "day": ("day",),
    "week": ("day",),
    "month": ("day", "month"),
    "year": ("day", "month", "year"),
}
MAX_PERIODS = 1500
ALL = "All articles"
UNKNOWN_OUTLET = "Unknown outlet"
NOT_CODED = "Not coded"
SPLIT_FIELDS = {"outlet": "source__name", "stance": "stance__name"}


class TooManyPeriods(ValueError):
    pass


def period_start(day: dt.date, by: str) -> dt.date:
    if by == "day":
        return day
    if by == "week":  # ISO weeks start on Monday
        return day - dt.timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def next_period(start: dt.date, by: str) -> dt.date:
    if by == "day":
        return start + dt.timedelta(days=1)
    if by == "week":
        return start + dt.timedelta(days=7)
    if by == "month":
        return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return dt.date(start.year + 1, 1, 1)


def period_label(start: dt.date, by: str) -> str:
    if by == "day":
        return start.isoformat()
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return f"{start.year:04d}"


def split_value(value: str | None, split: str) -> str:
    if split == "none":
        return ALL
    if value:
        return value
    return UNKNOWN_OUTLET if split == "outlet" else NOT_CODED


@dataclass
class Row:
    period: str
    start: dt.date
    split: str
    articles: int  # matching articles placed in the period
    occurrences: int | None  # matches of the query in their bodies; None when not counted
    all_articles: int  # every archive article placed in the period (and split value)

    @property
    def share(self) -> float | None:
        return self.articles / self.all_articles if self.all_articles else None


@dataclass
class Trends:
    params: SearchParams
    by: str
    split: str
    matches: int
    rows: list[Row] = field(default_factory=list)
    periods: list[tuple[str, dt.date]] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)
    not_placed: list[Facts] = field(default_factory=list)
    reading: Reading | None = None  # None when occurrences were not asked for (no query)
    message: str = ""

    @property
    def occurrences_counted(self) -> bool:
        return self.reading is not None and not self.reading.truncated

    @property
    def notice(self) -> str:
        if self.reading is not None and self.reading.truncated:
            return self.reading.notice + " Occurrences are therefore not shown; article counts cover every match."
        return ""

    def series(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {name: [] for name in self.splits}
        for row in self.rows:
            out[row.split].append(row)
        return out


def trends(params: SearchParams, by: str = "month", split: str = "none") -> Trends:
    if by not in BYS or split not in SPLITS:
        raise ValueError(f"by must be one of {BYS} and split one of {SPLITS}")
    matches = matching_ids(params)
    result = Trends(params, by, split, matches.count, message=matches.message)
    facts = article_facts(matches.ids)
    placeable = PLACEABLE[by]
    field_name = {"outlet": "outlet", "stance": "stance"}.get(split)

    counts: Counter = Counter()
    placed_ids: dict[int, tuple[dt.date, str]] = {}
    for f in facts:
        if f.published_date is None or f.date_precision not in placeable:
            result.not_placed.append(f)
            continue
        key = (period_start(f.published_date, by), split_value(getattr(f, field_name) if field_name else None, split))
        counts[key] += 1
        placed_ids[f.id] = key
    if not counts:
        return result

    first, last = min(k[0] for k in counts), max(k[0] for k in counts)
    periods = _periods(first, last, by)
    result.periods = [(period_label(p, by), p) for p in periods]
    denominators = _all_articles(first, next_period(last, by), by, split)
    result.splits = sorted({k[1] for k in counts} if split != "none" else {ALL}, key=_split_order)

    occurrences = None
    if params.q.strip():
        result.reading = Reading(len(placed_ids), message=matches.message)
        occurrences = _occurrences(matches, placed_ids, result.reading)
    for name in result.splits:
        for label, start in result.periods:
            key = (start, name)
            found = occurrences.get(key, 0) if occurrences is not None else None
            result.rows.append(Row(label, start, name, counts.get(key, 0), found, denominators.get(key, 0)))
    return result


def _split_order(name: str):
    return (name in (UNKNOWN_OUTLET, NOT_CODED), name.casefold())


def _periods(first: dt.date, last: dt.date, by: str) -> list[dt.date]:
    out, p = [], first
    while p <= last:
        out.append(p)
        if len(out) > MAX_PERIODS:
            raise TooManyPeriods(
                f"More than {MAX_PERIODS:,} {by}s between {first} and {last}: "
                "choose a longer period or narrow the dates."
            )
        p = next_period(p, by)
    return out


def _all_articles(start: dt.date, end: dt.date, by: str, split: str) -> Counter:
    """Every archive article placed in each (period, split value) between start and end (exclusive)."""
    qs = Article.objects.filter(
        date_precision__in=PLACEABLE[by], published_date__gte=start, published_date__lt=end
    ).order_by()
    field_name = SPLIT_FIELDS.get(split)
    values = ("published_date", field_name) if field_name else ("published_date",)
    out: Counter = Counter()
    for row in qs.values(*values).annotate(n=Count("id")):
        key = (period_start(row["published_date"], by), split_value(row.get(field_name), split))
        out[key] += row["n"]
    return out


def _occurrences(matches: Matches, placed_ids: dict[int, tuple], reading: Reading) -> Counter | None:
    """Query matches per (period, split) over the placed articles' bodies; None when not all could be read."""
    placed = Matches(matches.params, [i for i in matches.ids if i in placed_ids], matches.message, matches.query_used)
    spans = query_matcher(matches.query_used, matches.params.spelling)
    out: Counter = Counter()
    for facts, body in read_bodies(placed, reading):
        out[placed_ids[facts.id]] += len(spans(body))
    return None if reading.truncated else out
