"""Dates a text mentions, resolved to days against the article's own publication date and its precision.

A mention is placed on a day only where the text and the article's date establish it:
- a full date ("May 2, 2014", "5 January 2022", "05.01.2022", "2022-01-05") is placed as written;
- a day and month without a year ("January 5", "5th of January") takes the year that puts it nearest to
  the article's date, and only when the article's month is known (day or month precision): a blog known
  only to "2022" that says "December 28" could mean 2021 or 2022, so it is not placed. Nor is it placed
  when its sentence names another year ("In 2011, on December 16, ..." is not 16 December 2021);
- a range ("from January 6 to 10", "on the night of January 3-4", "3–4 January") covers each day it spans
  (at most 31 days);
- a weekday ("on Wednesday", "last Friday") and a relative day ("yesterday", "this morning", "tonight")
  only when the article's day is known. "on Wednesday" is the latest Wednesday on or before the article's
  day, or the next one after it when the sentence speaks of the future ("will", "is due to", ...);
- "on the same day", "that day" refer back to the last day placed in the same article, within the two
  paragraphs before; otherwise they are not placed.
Everything else ("early January", "a day later", "at night", "in 2018") is not a day and is not placed;
a candidate that cannot be resolved is returned with the reason (`Mention.reason`), never guessed.

Month names come from dateparser's locale data (English always, plus the article's language, so
"5 января 2022" is read too); the grammar of ranges, weekdays, qualifiers and references back is ours.
dateparser's own `search_dates` is not used to find mentions: on the five seed articles it also returns
"now", "a day", "30 years" and "1989, the days of" as dates, and reads "January 7 [11]" as 7 January 2011
(benchmarks/timeline_accuracy.py measures it against the hand-made list).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from dataclasses import dataclass

from articles.extraction.types import DAY, MONTH, PartialDate

MAX_RANGE_DAYS = 31
ANAPHORA_PARAGRAPHS = 2  # "that day" refers back at most this many paragraphs

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_SET = frozenset(WEEKDAYS)
MONTH_KEYS = tuple("january february march april may june july august september october november december".split())
FUTURE = re.compile(
    r"\b(?:will|shall|is to|are to|is due|are due|plans? to|planned to|scheduled|expected to|is set to|are set to)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    expression: str  # as written, with its preposition and qualifier ("on the evening of January 5")
    start: int  # character offsets in the text
    end: int
    sentence: str
    sentence_start: int
    days: tuple[dt.date, ...]  # empty when not placed
    kind: str  # date, range, weekday, relative, reference
    reason: str = ""  # why it is not placed
    via: str = ""  # for a reference back ("that day"): the expression it refers to

    @property
    def placed(self) -> bool:
        return bool(self.days)


# --- sentences -----------------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st gen col lt sgt prof jr sr vs no nos jan feb mar apr jun jul aug sep sept oct nov dec "
    "fig approx ca cf al".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"”’)\]]*(?:\[\d+\])*\s+(?=[\"“‘(\[A-ZÀ-ÖØ-ÞА-ЯЁ0-9\-–—•])|\n+")


_WORD_BEFORE = re.compile(r"(\w+)\W*$")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split at . ! ? before a capital, digit, quote or bullet, and at line
    breaks; not after an initial ("N. Nazarbayev", "i. e.") or a common abbreviation."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if "\n" not in m.group():  # a line break always ends a sentence
            before = _WORD_BEFORE.search(text, max(start, m.start() - 40), m.start() + 1)
            word = before.group(1) if before else ""
            if (len(word) == 1 and word.isalpha()) or word.lower() in _ABBREVIATIONS:
                continue
        end = m.start() + len(m.group().rstrip())
        if text[start:end].strip():
            out.append(_trim(text, start, end))
        start = m.end()
    if text[start:].strip():
        out.append(_trim(text, start, len(text)))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    part = text[start:end]  # never only spaces: sentences() passes the parts with text
    return end - len(part.lstrip()), start + len(part.rstrip())


# --- the grammar -----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _month_names(language: str) -> dict[str, int]:
    """Month name (lower case) -> number, from dateparser's locale data for English and `language`."""
    from dateparser.languages.loader import default_loader

    names: dict[str, int] = {}
    for lang in dict.fromkeys(("en", language or "en")):
        try:
            info = default_loader.get_locale(lang).info
        except Exception:  # noqa: BLE001 - a language dateparser does not know: English only
            continue
        for number, key in enumerate(MONTH_KEYS, start=1):
            for name in info.get(key, []):
                if len(name) >= 3:
                    names[name.lower().rstrip(".")] = number
    return names


@functools.lru_cache(maxsize=16)
def _patterns(language: str) -> dict[str, re.Pattern]:
    names = sorted(_month_names(language), key=len, reverse=True)
    month = r"(?:" + "|".join(re.escape(n) for n in names) + r")\.?"
    day = r"(?:[0-3]?\d)(?:st|nd|rd|th)?(?![\d:])(?!\.\d)"
    year = r"(?:1[6-9]\d\d|20\d\d)(?!\d)"
    dash = r"\s*(?P<conn>-|–|—|to|until|till|through|and)\s*"
    qual = (
        r"(?:(?:on|in|during|until|till|by|since|from|between)\s+)?"
        r"(?:the\s+)?(?:(?:early|late)\s+)?(?:morning|afternoon|evening|night|early\s+hours|small\s+hours)\s+of\s+"
    )
    prep = r"(?:(?:on|from|since|until|till|by|between|before|after|through|starting|beginning)\s+)?"
    flags = re.IGNORECASE
    return {
        # What may stand just before a date and belongs to its expression ("on the evening of", "from"):
        # searched in the few characters before a match, not with it (a leading optional group made
        # every pattern try it at every word of every sentence).
        "lead": re.compile(rf"\b(?:{qual}|{prep})\Z", flags),
        # January 3-4 / January 30 - February 2 / from January 6 to 10 (, 2022)
        "range_md": re.compile(
            rf"\b(?P<m1>{month})\s+(?P<d1>{day}){dash}(?:(?P<m2>{month})\s+)?(?P<d2>{day})(?:,?\s*(?P<y>{year}))?",
            flags,
        ),
        # 3-4 January / from 6 to 10 January (2022) / 30 December - 2 January
        "range_dm": re.compile(
            rf"\b(?P<d1>{day})(?:\s+(?:of\s+)?(?P<m1>{month}))?{dash}(?P<d2>{day})\s+(?:of\s+)?(?P<m2>{month})(?:,?\s*(?P<y>{year}))?",
            flags,
        ),
        # January 5 / Jan. 5th, 2022
        "md": re.compile(rf"\b(?P<m1>{month})\s+(?P<d1>{day})(?:,?\s*(?P<y>{year}))?", flags),
        # 5 January / 5th of January 2022
        "dm": re.compile(rf"\b(?P<d1>{day})\s+(?:of\s+)?(?P<m1>{month})(?:,?\s*(?P<y>{year}))?", flags),
        # 05.01.2022 (day first) and 2022-01-05
        "numeric": re.compile(
            rf"\b{prep}(?:(?P<d1>[0-3]?\d)\.(?P<m1>[01]?\d)\.(?P<y>{year})|(?P<iy>{year})-(?P<im>[01]\d)-(?P<id>[0-3]\d))\b",
            flags,
        ),
        "weekday": re.compile(
            rf"\b(?:(?P<mod>last|next|this|past|coming)\s+)?(?P<w>{'|'.join(WEEKDAYS)})\b(?!s)", flags
        ),
        "relative": re.compile(
            r"\b(?P<rel>the\s+day\s+before\s+yesterday|yesterday|tomorrow|tonight|today"
            r"|this\s+(?:morning|afternoon|evening))\b",
            flags,
        ),
        "reference": re.compile(
            r"\b(?:(?:on|during|in\s+the\s+course\s+of|by\s+the\s+end\s+of|later|earlier)\s+)?"
            r"(?:that\s+same|the\s+same|that)\s+day\b",
            flags,
        ),
    }


_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+")
_NUMERIC_DATE = re.compile(r"\d\d?\.\d\d?\.\d{4}|\d{4}-\d\d-\d\d")
_RELATIVE_WORDS = frozenset({"yesterday", "today", "tomorrow", "tonight"})
_PARTS_OF_DAY = frozenset({"morning", "afternoon", "evening"})


def _triggers(sentence: str, months: dict[str, int]) -> set[str]:
    """The kinds of pattern worth running on a sentence, from a cheap look at its words: most sentences
    name no month, weekday or relative day, and the full patterns are slow to run on every word."""
    words = set(_WORD.findall(sentence.lower()))
    kinds = set()
    if words & months.keys() and _DIGIT.search(sentence):
        kinds |= {"range_md", "range_dm", "md", "dm"}
    if _NUMERIC_DATE.search(sentence):
        kinds.add("numeric")
    if words & _WEEKDAY_SET:
        kinds.add("weekday")
    if words & _RELATIVE_WORDS or ("this" in words and words & _PARTS_OF_DAY):
        kinds.add("relative")
    if "day" in words:
        kinds.add("reference")
    return kinds


_YEAR_IN_TEXT = re.compile(r"(?<![\d.])(1[6-9]\d\d|20\d\d)(?!\d)")
_ORDER = ("range_md", "range_dm", "numeric", "md", "dm", "weekday", "relative", "reference")


@dataclass
class _Found:
    kind: str
    match: re.Match
    start: int  # where the expression starts: its preposition or qualifier, or a weekday joined to it
    lead: str = ""


_LEAD_KINDS = frozenset({"range_md", "range_dm", "md", "dm", "weekday"})
_LEAD_WINDOW = 48  # characters searched before a match for its preposition or qualifier


def _candidates(sentence: str, language: str) -> list[_Found]:
    """Non-overlapping matches, ranges before single dates, earlier and longer first."""
    taken: list[tuple[int, int]] = []
    found: list[_Found] = []
    patterns = _patterns(language)
    kinds = _triggers(sentence, _month_names(language))
    for kind in _ORDER:
        if kind not in kinds:
            continue
        for m in patterns[kind].finditer(sentence):
            start, lead = m.start(), ""
            if kind in _LEAD_KINDS:
                before = patterns["lead"].search(sentence, max(0, m.start() - _LEAD_WINDOW), m.start())
                if before is not None and not any(before.start() < e and s < m.start() for s, e in taken):
                    start, lead = before.start(), before.group()
            if any(start < e and s < m.end() for s, e in taken):
                continue
            if not _month_case_ok(m, language):
                continue
            if kind == "relative" and not _relative_ok(sentence, m):
                continue
            if kind.startswith("range") and m.group("conn").lower() == "and" and "between" not in lead.lower():
                continue  # "January 5 and 6 people": only "between ... and ..." is a range
            taken.append((start, m.end()))
            found.append(_Found(kind, m, start, lead))
    found.sort(key=lambda f: f.start)
    return _absorb_weekdays(sentence, found)


def _month_case_ok(m: re.Match, language: str) -> bool:
    """English month names are written with a capital ("may 5" is not May); other languages' need not be."""
    english = _month_names("en")
    for group in ("m1", "m2"):
        name = m.groupdict().get(group)
        if name and name.lower().rstrip(".") in english and not name[0].isupper():
            return False
    return True


def _relative_ok(sentence: str, m: re.Match) -> bool:
    """'today' and 'tomorrow' as figures of speech ("the Russia of today", "today's leaders") are not days."""
    word = m.group("rel").lower()
    if word not in ("today", "tomorrow"):
        return True
    before = sentence[: m.start()].rstrip().lower()
    after = sentence[m.end() :]
    return not (before.endswith(" of") or before == "of" or re.match(r"[’']s\b", after))


def _absorb_weekdays(sentence: str, found: list[_Found]) -> list[_Found]:
    """'Wednesday, January 5': the explicit date decides; the weekday before it is part of its expression."""
    out: list[_Found] = []
    for i, f in enumerate(found):
        nxt = found[i + 1] if i + 1 < len(found) else None
        if (
            f.kind == "weekday"
            and nxt is not None
            and nxt.kind in ("md", "dm", "range_md", "range_dm", "numeric")
            and re.fullmatch(r",?\s*(?:the\s+)?", sentence[f.match.end() : nxt.match.start()], re.IGNORECASE)
        ):
            nxt.start = f.start
            continue
        out.append(f)
    return out


# --- resolution --------------------------------------------------------------------------------------------


def _int_day(text: str) -> int:
    return int(re.match(r"\d+", text).group())


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _nearest_year(
    month: int, day: int, published: PartialDate, sentence: str, match: re.Match
) -> tuple[dt.date | None, str]:
    """The (month, day) nearest the article's known span, or (None, why not); needs the article's month, and
    no other year written in the sentence."""
    if published.precision not in (DAY, MONTH):
        return None, (
            "the article's date is known only to the year, so the year of this date is not certain"
            if published.year
            else "the article's date is unknown, so the year of this date is not known"
        )
    span_start, span_end = published.as_date(), published.end_date()
    dates = (_date(year, month, day) for year in (published.year - 1, published.year, published.year + 1))
    candidates = [d for d in dates if d is not None]
    if not candidates:
        return None, "no such day"
    best = min(candidates, key=lambda d: max((span_start - d).days, (d - span_end).days, 0))  # the earliest of a tie
    other = _other_year(sentence, match, best.year)
    if other:
        return None, f"the sentence names another year ({other})"
    return best, ""


class _Resolver:
    """Resolves the candidates of one article in text order, remembering the last day for 'that day'."""

    def __init__(self, published: PartialDate, language: str):
        self.published = published
        self.language = language
        self.names = _month_names(language)
        self.last: tuple[dt.date, str, int] | None = None  # day, expression, paragraph

    def month(self, name: str | None) -> int | None:
        return self.names.get(name.lower().rstrip(".")) if name else None

    def resolve(self, f: _Found, sentence: str, paragraph: int) -> tuple[tuple[dt.date, ...], str, str]:
        """(days, reason when none, expression referred to)."""
        g = f.match.groupdict()
        if f.kind in ("md", "dm"):
            return self._single(self.month(g["m1"]), _int_day(g["d1"]), g.get("y"), sentence, f.match)
        if f.kind == "numeric":
            if g.get("iy"):
                return self._explicit(int(g["iy"]), int(g["im"]), int(g["id"]))
            return self._explicit(int(g["y"]), int(g["m1"]), int(g["d1"]))
        if f.kind in ("range_md", "range_dm"):
            return self._range(g, sentence, f.match)
        if f.kind == "weekday":
            return self._weekday(g, sentence)
        if f.kind == "relative":
            return self._relative(g["rel"])
        return self._reference(paragraph)

    def _explicit(self, y: int, m: int, d: int):
        day = _date(y, m, d)
        return ((day,), "", "") if day else ((), "no such day", "")

    def _single(self, month: int | None, day: int, year: str | None, sentence: str, match: re.Match):
        if month is None:
            return (), "unknown month", ""
        if year:
            return self._explicit(int(year), month, day)
        resolved, reason = _nearest_year(month, day, self.published, sentence, match)
        return ((resolved,), "", "") if resolved else ((), reason, "")

    def _range(self, g: dict, sentence: str, match: re.Match):
        m1 = self.month(g.get("m1"))
        m2 = self.month(g.get("m2"))
        m1, m2 = m1 or m2, m2 or m1
        d1, d2 = _int_day(g["d1"]), _int_day(g["d2"])
        if m1 is None:
            return (), "unknown month", ""
        if g.get("y"):
            end = _date(int(g["y"]), m2, d2)
            start = _date(int(g["y"]) - (1 if (m1, d1) > (m2, d2) else 0), m1, d1)
        else:
            start, reason = _nearest_year(m1, d1, self.published, sentence, match)
            if start is None:
                return (), reason, ""
            end = _date(start.year + (1 if (m1, d1) > (m2, d2) else 0), m2, d2)
        if start is None or end is None or end < start:
            return (), "not a valid range", ""
        length = (end - start).days + 1
        if length > MAX_RANGE_DAYS:
            return (), f"a range of {length} days (more than {MAX_RANGE_DAYS})", ""
        return tuple(start + dt.timedelta(days=i) for i in range(length)), "", ""

    def _weekday(self, g: dict, sentence: str):
        if self.published.precision != DAY:
            return (), "a weekday is placed only when the article's day is known", ""
        base = self.published.as_date()
        target = WEEKDAYS.index(g["w"].lower())
        mod = (g.get("mod") or "").lower()
        back = (base.weekday() - target) % 7  # days back to the latest such weekday on or before base
        if mod in ("last", "past"):
            day = base - dt.timedelta(days=back or 7)
        elif mod == "this":
            day = base + dt.timedelta(days=target - base.weekday())
        elif mod in ("next", "coming") or FUTURE.search(sentence):
            day = base + dt.timedelta(days=(target - base.weekday()) % 7 or 7)
        else:
            day = base - dt.timedelta(days=back)
        return (day,), "", ""

    def _relative(self, word: str):
        if self.published.precision != DAY:
            return (), "a relative day is placed only when the article's day is known", ""
        base = self.published.as_date()
        word = " ".join(word.lower().split())
        offset = {"the day before yesterday": -2, "yesterday": -1, "tomorrow": 1}.get(word, 0)
        return (base + dt.timedelta(days=offset),), "", ""

    def _reference(self, paragraph: int):
        if self.last is None or paragraph - self.last[2] > ANAPHORA_PARAGRAPHS:
            return (), "no day is named just before it", ""
        return (self.last[0],), "", self.last[1]

    def remember(self, days: tuple[dt.date, ...], expression: str, paragraph: int) -> None:
        self.last = (days[0], expression, paragraph) if len(days) == 1 else None


def _other_year(sentence: str, match: re.Match, year: int) -> int | None:
    """A year written elsewhere in the sentence (not inside this date) that differs from `year`."""
    for m in _YEAR_IN_TEXT.finditer(sentence):
        if match.start() <= m.start() < match.end():
            continue
        if int(m.group(1)) != year:
            return int(m.group(1))
    return None


# A candidate's pattern -> the kind of mention it is (weekday, relative and reference keep their own names).
MENTION_KINDS = {"md": "date", "dm": "date", "numeric": "date", "range_md": "range", "range_dm": "range"}


def find_mentions(text: str, published: PartialDate, language: str = "en") -> list[Mention]:
    """Every date expression in the text, placed on its days or with the reason it is not."""
    language = (language or "en").split("-")[0].lower()
    resolver = _Resolver(published, language)
    out: list[Mention] = []
    paragraph_starts = [m.end() for m in re.finditer(r"\n\s*\n", text)]
    for s_start, s_end in sentences(text):
        sentence = text[s_start:s_end]
        paragraph = bisect.bisect_right(paragraph_starts, s_start)
        for f in _candidates(sentence, language):
            days, reason, via = resolver.resolve(f, sentence, paragraph)
            expression = " ".join(sentence[f.start : f.match.end()].split())
            kind = MENTION_KINDS.get(f.kind, f.kind)
            if days:
                resolver.remember(days, via or expression, paragraph)
            elif kind != "reference":
                resolver.last = None
            start, end = s_start + f.start, s_start + f.match.end()
            out.append(Mention(expression, start, end, sentence, s_start, days, kind, reason, via))
    return out
