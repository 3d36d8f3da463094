"""What each day is said to have happened: the days the matching articles' texts mention, side by side.

For every matching article (bodies read within the analysis limits, articles.analysis.corpus), the date
expressions of its body are found and resolved against its own publication date and precision
(articles.analysis.datetext). Each day lists the sentences that mention it, grouped by outlet, with the
article's stance. Mentions that cannot be placed are kept apart with the reason, never placed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from articles.analysis.corpus import Facts, Reading, paragraph_at, paragraph_starts, read_bodies
from articles.analysis.datetext import Mention, find_mentions
from articles.analysis.trends import UNKNOWN_OUTLET
from articles.search import SearchParams, matching_ids


@dataclass(frozen=True)
class DayMention:
    article: Facts
    mention: Mention
    paragraph: int  # 1-based, the article page's anchor #p<n>

    @property
    def outlet(self) -> str:
        return self.article.outlet or UNKNOWN_OUTLET


@dataclass
class Day:
    date: dt.date
    mentions: list[DayMention] = field(default_factory=list)

    def by_outlet(self) -> list[tuple[str, list[DayMention]]]:
        groups: dict[str, list[DayMention]] = defaultdict(list)
        for m in self.mentions:
            groups[m.outlet].append(m)
        return sorted(groups.items(), key=lambda kv: (kv[0] == UNKNOWN_OUTLET, kv[0].casefold()))

    @property
    def articles(self) -> int:
        return len({m.article.id for m in self.mentions})


@dataclass
class Timeline:
    params: SearchParams
    reading: Reading
    days: list[Day] = field(default_factory=list)
    not_placed: list[DayMention] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Placed mentions, one per (sentence, day)."""
        return sum(len(d.mentions) for d in self.days)


def timeline(params: SearchParams) -> Timeline:
    matches = matching_ids(params)
    reading = Reading(matches.count, message=matches.message)
    result = Timeline(params, reading)
    days: dict[dt.date, Day] = {}
    for facts, body in read_bodies(matches, reading):
        starts = paragraph_starts(body)
        for mention in find_mentions(body, facts.partial_date, facts.language):
            item = DayMention(facts, mention, paragraph_at(starts, mention.start))
            if not mention.placed:
                result.not_placed.append(item)
            for day in mention.days:
                days.setdefault(day, Day(day)).mentions.append(item)
    result.days = [days[d] for d in sorted(days)]
    for day in result.days:
        day.mentions.sort(key=lambda m: (m.outlet.casefold(), m.article.id, m.mention.start))
    return result
