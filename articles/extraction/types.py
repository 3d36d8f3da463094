"""What an extractor returns: plain data, no Django, so extractors test alone."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

# Precision of a publication date. An archive never claims a day it does not know.
DAY, MONTH, YEAR, UNKNOWN = "day", "month", "year", "unknown"

# Kinds of block in a body (blocks are separated by a blank line): a paragraph, a heading, an item of
# a bulleted list, an item of a numbered list. The text of a block never carries its list marker.
PARAGRAPH, HEADING, BULLET_ITEM, NUMBERED_ITEM = "p", "h", "li", "oli"
BLOCK_KINDS = (PARAGRAPH, HEADING, BULLET_ITEM, NUMBERED_ITEM)


@dataclass(frozen=True)
class PartialDate:
    """A date known to some precision: (2022, 1, None) is "January 2022"."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        if self.year is None:
            return UNKNOWN
        if self.month is None:
            return YEAR
        if self.day is None:
            return MONTH
        return DAY

    def as_date(self) -> dt.date | None:
        """First day of the known span (sortable); None when unknown."""
        if self.year is None:
            return None
        return dt.date(self.year, self.month or 1, self.day or 1)

    def end_date(self) -> dt.date | None:
        """Last day of the known span; None when unknown."""
        if self.year is None:
            return None
        if self.month is None:
            return dt.date(self.year, 12, 31)
        if self.day is None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, self.month, self.day)

    def iso(self) -> str | None:
        """ISO 8601 truncated to its precision: 2022-01-06, 2022-01, 2022 or None."""
        if self.year is None:
            return None
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass
class Credit:
    """A person credited on a text; role is author, translator, editor, ..."""

    name: str
    role: str = "author"


@dataclass
class Extracted:
    """Everything an extractor could read off one document. Unknown stays None/empty."""

    title: str = ""
    credits: list[Credit] = field(default_factory=list)
    published: PartialDate = field(default_factory=PartialDate)
    # The time as the page prints it (naive: never converted), and what the page states about its zone:
    # an offset ("+06:00") and/or a named zone as written ("Moscow time"). Unstated stays None / "".
    published_time: dt.time | None = None
    published_offset: dt.timedelta | None = None
    published_zone: str = ""
    site_name: str = ""
    url: str = ""
    language: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    # One of BLOCK_KINDS per paragraph; empty means every block is a paragraph.
    kinds: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    # Text the extractor found and deliberately dropped (chrome), for auditing.
    removed: list[str] = field(default_factory=list)

    @property
    def authors(self) -> list[str]:
        return [c.name for c in self.credits if c.role == "author"]

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def block_kinds(self) -> list[str]:
        """A kind for every paragraph ([] when all are plain paragraphs: nothing worth storing)."""
        kinds = self.kinds if len(self.kinds) == len(self.paragraphs) else []
        return kinds if any(k != PARAGRAPH for k in kinds) else []
