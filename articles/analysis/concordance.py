"""Keyword in context: every match of the query in the matching articles' bodies, with N words each side.

Matches are found by the one span function (articles.analysis.spans), so the concordance shows what the
search matches: stemmed forms ("protests" for protest), accent-folded spellings, expanded prefixes and
fuzzy terms. Lines come in the search's article order and text order; the sorts follow AntConc and
Voyant: by the first or second word to the left (L1, L2) or right (R1, R2), by date or by outlet.

`kw` narrows what is shown inside a set: the articles are those of the search AND `kw`, the lines are
the matches of `kw` (Compare links each word to its concordance in one set this way).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings

from articles.analysis.corpus import Facts, Reading, paragraph_at, paragraph_starts, read_bodies
from articles.analysis.spans import query_matcher
from articles.analysis.tokens import WORD_RE, fold
from articles.search import SearchParams, matching_ids

SORTS = ("L1", "L2", "R1", "R2", "date", "outlet")
DEFAULT_CONTEXT = 8
MAX_CONTEXT = 30
_CHARS_PER_WORD = 40  # context window read around a match, per word of context asked for


@dataclass
class Line:
    article: Facts
    order: int  # the article's place in the search's order
    left: str
    match: str
    right: str
    offset: int  # character offset of the match in the body
    paragraph: int  # 1-based paragraph of the match (the article page's #p<n> anchor)
    left_words: list[str]
    right_words: list[str]

    def word(self, key: str) -> str:
        side, n = (self.left_words, -int(key[1])) if key[0] == "L" else (self.right_words, int(key[1]) - 1)
        try:
            return side[n]
        except IndexError:
            return ""


@dataclass
class Concordance:
    params: SearchParams
    keyword_query: str
    context: int
    reading: Reading
    lines: list[Line] = field(default_factory=list)
    stopped_at_lines: bool = False

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def truncated(self) -> bool:
        return self.reading.truncated or self.stopped_at_lines

    @property
    def notice(self) -> str:
        if self.stopped_at_lines:
            return (
                f"Partial result: stopped at {len(self.lines):,} lines (the limit), after {self.reading.read:,} of "
                f"{self.reading.matches:,} matching articles. Narrow the search to see every line."
            )
        return self.reading.notice

    def sorted_lines(self, sort: str = "") -> list[Line]:
        if sort in ("L1", "L2", "R1", "R2"):
            keys = [sort, sort[0] + ("2" if sort[1] == "1" else "1")]
            return sorted(self.lines, key=lambda ln: (*(ln.word(k) for k in keys), ln.order, ln.offset))
        if sort == "date":
            return sorted(self.lines, key=lambda ln: (_date_key(ln.article), ln.order, ln.offset))
        if sort == "outlet":
            return sorted(
                self.lines,
                key=lambda ln: (ln.article.outlet is None, (ln.article.outlet or "").casefold(), _date_key(ln.article)),
            )
        return list(self.lines)


def _date_key(facts: Facts):
    return (facts.published_date is None, facts.published_date or dt.date.min, facts.id)


def combined_query(q: str, kw: str) -> str:
    """The articles of a set that contain kw: `(q) AND (kw)`."""
    if q.strip() and kw.strip():
        return f"({q}) AND ({kw})"
    return kw if kw.strip() else q


def concordance(params: SearchParams, kw: str = "", context: int = DEFAULT_CONTEXT) -> Concordance:
    """Every match of `kw` (default: the query) in the bodies of the search's matches (AND kw)."""
    context = max(1, min(context, MAX_CONTEXT))
    search = dataclasses.replace(params, q=combined_query(params.q, kw))
    matches = matching_ids(search)
    reading = Reading(matches.count, message=matches.message)
    keyword_query = kw if kw.strip() and not matches.message else matches.query_used
    result = Concordance(params, keyword_query, context, reading)
    spans = query_matcher(keyword_query, params.spelling)
    limit = settings.ANALYSIS_MAX_LINES
    for order, (facts, body) in enumerate(read_bodies(matches, reading)):
        starts = paragraph_starts(body)
        for start, end in spans(body):
            if len(result.lines) >= limit:
                result.stopped_at_lines = True
                return result
            result.lines.append(_line(facts, order, body, start, end, context, starts))
    return result


def _line(facts: Facts, order: int, body: str, start: int, end: int, context: int, starts: list[int]) -> Line:
    window = context * _CHARS_PER_WORD
    left_from = max(0, start - window)
    left_matches = list(WORD_RE.finditer(body, left_from, start))[-context:]
    right_matches = list(islice(WORD_RE.finditer(body, end, min(len(body), end + window)), context))
    left_start = left_matches[0].start() if left_matches else start
    right_end = right_matches[-1].end() if right_matches else end
    return Line(
        facts,
        order,
        _squash(body[left_start:start]),
        _squash(body[start:end]),
        _squash(body[end:right_end]),
        start,
        paragraph_at(starts, start),
        [fold(m.group()) for m in left_matches],
        [fold(m.group()) for m in right_matches],
    )


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)
