"""Dates as pages write them, one grammar for both extractors: month names (English, French, Spanish,
German, Italian, Portuguese), the calendar check and partial dates, read by `parse_date` (a date anywhere
in an HTML value, ISO forms first) and `dateline` (a plain-text header line that is only a date).
A date is read as written: never shifted to another zone, never given a day it does not state.
"""

from __future__ import annotations

import datetime as dt
import re

from .html_text import clean_text
from .types import PartialDate
from .zones import offset_after

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            "jan january janvier enero januar gennaio janeiro janv ene",
            "feb february fevrier février febrero februar febbraio fevereiro fev févr",
            "mar march mars marzo märz marz março",
            "apr april avril abril aprile avr abr",
            "may mai mayo maggio maio",
            "jun june juin junio juni giugno junho",
            "jul july juillet julio juli luglio julho juil",
            "aug august aout août agosto ago",
            "sep sept september septembre septiembre settembre setembro set",
            "oct october octobre octubre oktober ottobre outubro okt out",
            "nov november novembre noviembre novembro",
            "dec december decembre décembre diciembre dezember dicembre dezembro dic dez",
        ]
    )
    for m in names.split()
}
# For regular expressions: every month name, longest first (so "september" is not read as "sep").
MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))


def partial_date(
    year: int, month: int | None = None, day: int | None = None, *, plausible: bool = False
) -> PartialDate | None:
    """The PartialDate if the calendar has it, else None. With `plausible`, only years from 1990 to next
    year: metadata carries junk (copyright years, the Unix epoch) that is no publication date."""
    if plausible and not 1990 <= year <= dt.date.today().year + 1:
        return None
    try:
        dt.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        return None
    return PartialDate(year, month, day)


def clock(hour, minute, second=None) -> dt.time | None:
    """A time of day from its written parts; None when there is none or it is impossible ("25:61")."""
    try:
        return dt.time(int(hour), int(minute), int(second or 0)) if hour is not None and minute is not None else None
    except ValueError:
        return None


# --- a date anywhere in a value -----------------------------------------------------------------------
_ISO = re.compile(
    r"(?<!\d)((?:19|20)\d\d)([-/.])(\d{1,2})(?:\2(\d{1,2}))?"
    r"(?:[T ]+(\d{1,2}):(\d\d)(?::(\d\d)(?:[.,]\d{1,9})?)?)?(?!\d)"
)
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?:T?(\d\d)(\d\d)(\d\d)?)?(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./]((?:19|20)\d\d)(?!\d)")
_MONTH_NAME = r"([A-Za-zéûçä]{3,10})\.?"
_MDY = re.compile(_MONTH_NAME + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)(?!\d)")
_DMY_NAME = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?" + _MONTH_NAME + r"\s+(?:de\s+)?((?:19|20)\d\d)(?!\d)"
)
_MY_NAME = re.compile(_MONTH_NAME + r"\s+((?:19|20)\d\d)(?!\d)")
_TIME12 = re.compile(r"(\d{1,2}):(\d\d)\s*([ap])\.?m\.?", re.I)


def parse_date(value: object, *, allow_text: bool = True) -> tuple[PartialDate, dt.time | None] | None:
    """Read a date as written (no timezone shifting) with honest precision.

    ISO-like forms first (2019-01-03T07:00:02Z, 2019/01/03, 2019-01, 20190103),
    then written forms (January 3, 2019 / 3 janvier 2019 / 03.01.2019) when
    allow_text. None when nothing date-like is found. The time keeps the offset
    the value states (``+06:00``, ``Z``) as its tzinfo; it is never converted.
    """
    s = clean_text(value, limit=300)
    if not s:
        return None
    m = _ISO.search(s)
    if m:
        d = int(m.group(4)) if m.group(4) else None
        date = partial_date(int(m.group(1)), int(m.group(3)), d, plausible=True)
        if date:
            t = clock(m.group(5), m.group(6), m.group(7)) if d else None
            if t is not None:
                t = t.replace(tzinfo=offset_after(s[m.end() :]))
            return date, t
    m = _COMPACT.search(s)
    if m and (date := partial_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), plausible=True)):
        return date, clock(m.group(4), m.group(5), m.group(6))
    if not allow_text:
        return None
    t = None
    m12 = _TIME12.search(s)
    if m12:
        h = int(m12.group(1)) % 12 + (12 if m12.group(3).lower() == "p" else 0)
        t = clock(h, m12.group(2), 0)
    for rx, order in ((_MDY, "mdy"), (_DMY_NAME, "dmy")):
        m = rx.search(s)
        if m:
            if order == "mdy":
                mon, d, y = MONTHS.get(m.group(1).lower()), int(m.group(2)), int(m.group(3))
            else:
                d, mon, y = int(m.group(1)), MONTHS.get(m.group(2).lower()), int(m.group(3))
            if mon and (date := partial_date(y, mon, d, plausible=True)):
                return date, t
    m = _DMY.search(s)
    if m and (date := partial_date(int(m.group(3)), int(m.group(2)), int(m.group(1)), plausible=True)):
        return date, None
    m = _MY_NAME.search(s)
    if m:
        mon = MONTHS.get(m.group(1).lower())
        if mon and (date := partial_date(int(m.group(2)), mon, plausible=True)):
            return date, None
    return None


# --- a plain-text header line that is only a date -------------------------------------------------------
_DATELINE_NUMERIC = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})(?:[ ,T]+(\d{1,2}):(\d{2}))?\b")
_DATELINE_WORDS = re.compile(
    rf"^\s*(?:(?:published|posted|updated)(?: on)?:?\s*)?"
    rf"(?:(\d{{1,2}})\s+({MONTH_NAMES})\.?,?\s+(\d{{4}})|({MONTH_NAMES})\.?\s+(\d{{1,2}}),?\s+(\d{{4}}))\s*$",
    re.IGNORECASE,
)


def dateline(line: str) -> tuple[PartialDate, dt.time | None, str] | None:
    """(date, time, the rest: where a zone may follow the time) of a header line stating a day: a short line
    with "06.01.2022" (maybe "13:15"), or one that is only "6 January 2022" / "Published on: Jan 6, 2022"."""
    m = _DATELINE_NUMERIC.search(line)
    if m and len(line) <= 40:
        date = partial_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if date is None:
            return None
        return date, clock(m.group(4), m.group(5)), line[m.end() :]
    m = _DATELINE_WORDS.match(line)
    if m:
        if m.group(1):
            day, month, year = int(m.group(1)), MONTHS[m.group(2).lower()], int(m.group(3))
        else:
            day, month, year = int(m.group(5)), MONTHS[m.group(4).lower()], int(m.group(6))
        date = partial_date(year, month, day)
        return (date, None, "") if date else None
    return None
