"""Reading the matching articles for analysis: every match of a search, bodies streamed and bounded.

`matching_ids` (articles.search) gives every match of the ordinary search parameters, in the search's
order. Tools that need only dates and outlets read those for all matches (`article_facts`, no bodies);
tools that read bodies (`read_bodies`) fetch them in id chunks with only the fields they need, and stop
at a cap (`ANALYSIS_MAX_ARTICLES` articles or `ANALYSIS_MAX_CHARS` characters of body, whichever comes
first), so one broad query cannot hold a worker for minutes. When they stop early the result says so
(`Reading.truncated`, `Reading.notice`), and the pages show the notice: a partial count is never shown as
a whole one.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from articles.model_parts import StoredDateMixin
from articles.models import Article
from articles.search import Matches

CHUNK = 200


@dataclass(frozen=True, slots=True)
class Facts(StoredDateMixin):
    """What the tools show about an article besides its text."""

    id: int
    title: str
    published_date: dt.date | None
    date_precision: str
    outlet: str | None
    stance: str | None
    language: str


@dataclass
class Reading:
    """How much of a search's matches a tool read."""

    matches: int  # articles the search matched
    read: int = 0  # articles whose bodies were read
    stopped_by: str = ""  # "articles" or "characters" when the cap was reached
    cap: int = 0
    message: str = ""  # the search's own notice (query read as its words, ...)
    ids: list[int] = field(default_factory=list, repr=False)

    @property
    def truncated(self) -> bool:
        return self.read < self.matches

    @property
    def notice(self) -> str:
        if not self.truncated:
            return ""
        limit = (
            f"the limit of {self.cap:,} articles"
            if self.stopped_by == "articles"
            else f"the limit of {self.cap:,} characters of text"
        )
        return (
            f"Partial result: read {self.read:,} of {self.matches:,} matching articles (in the search's order) "
            f"and stopped at {limit}. Narrow the search (filters, dates) to cover all of them."
        )


FACT_FIELDS = ("id", "title", "published_date", "date_precision", "source__name", "stance__name", "language")


def article_facts(ids: list[int]) -> list[Facts]:
    """Dates, outlet and stance of every id (no bodies), in the order of `ids`."""
    found: dict[int, Facts] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for row in Article.objects.filter(pk__in=chunk).values_list(*FACT_FIELDS):
            found[row[0]] = Facts(*row)
    return [found[i] for i in ids if i in found]


def read_bodies(matches: Matches, reading: Reading | None = None) -> Iterator[tuple[Facts, str]]:
    """(facts, body) for the matches in their order, in chunks, until the cap; `reading` records how far."""
    ids = matches.ids
    reading = reading if reading is not None else Reading(len(ids))
    limit_articles = settings.ANALYSIS_MAX_ARTICLES
    limit_chars = settings.ANALYSIS_MAX_CHARS
    chars = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = {
            row[0]: row
            for row in Article.objects.filter(pk__in=chunk).values_list(*FACT_FIELDS, "body").iterator(chunk_size=CHUNK)
        }
        for pk in chunk:
            row = rows.get(pk)
            if row is None:  # deleted since the search
                reading.matches -= 1
                continue
            if reading.read >= limit_articles:
                reading.stopped_by, reading.cap = "articles", limit_articles
                return
            body = row[-1]
            if reading.read and chars + len(body) > limit_chars:
                reading.stopped_by, reading.cap = "characters", limit_chars
                return
            chars += len(body)
            reading.read += 1
            reading.ids.append(pk)
            yield Facts(*row[:-1]), body


def paragraph_starts(body: str) -> list[int]:
    """Start offsets of the article page's paragraphs (Article.paragraphs: non-blank parts between blank lines)."""
    starts, pos = [], 0
    for part in body.split("\n\n"):
        if part.strip():
            starts.append(pos)
        pos += len(part) + 2
    return starts


def paragraph_at(starts: list[int], offset: int) -> int:
    """The 1-based paragraph holding `offset`: the article page's anchor #p<n>."""
    return max(1, bisect.bisect_right(starts, offset))
