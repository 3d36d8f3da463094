"""The date grammar both extractors share (articles.extraction.dates). Pure Python, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from articles.extraction.dates import dateline, parse_date, partial_date
from articles.extraction.text import extract_text
from articles.extraction.types import PartialDate

PROSE = "Words of the article go here, and they go on for a while. " * 5


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((2022, 1, 6), PartialDate(2022, 1, 6)),
        ((2022, 1, None), PartialDate(2022, 1)),
        ((2022, None, None), PartialDate(2022)),
        ((2024, 2, 29), PartialDate(2024, 2, 29)),
        ((2022, 2, 29), None),
        ((2022, 1, 0), None),
        ((2022, 0, None), None),
        ((2022, 13, 1), None),
    ],
)
def test_partial_date_is_checked_against_the_calendar(parts, expected):
    assert partial_date(*parts) == expected


def test_plausible_years_only_where_asked():
    assert partial_date(1970, 1, 1) == PartialDate(1970, 1, 1)  # a text may date an old piece
    assert partial_date(1970, 1, 1, plausible=True) is None  # metadata's epoch zero is no publication date
    assert partial_date(dt.date.today().year + 2, 1, 1, plausible=True) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("06.01.2022 13:15 (Moscow time)", (PartialDate(2022, 1, 6), dt.time(13, 15), " (Moscow time)")),
        ("06.01.2022", (PartialDate(2022, 1, 6), None, "")),
        ("06.01.2022 25:61", (PartialDate(2022, 1, 6), None, "")),  # no such time of day
        ("31.02.2022", None),
        ("Published on: 6 January 2022", (PartialDate(2022, 1, 6), None, "")),
        ("Jan. 6, 2022", (PartialDate(2022, 1, 6), None, "")),
        ("6 janvier 2022", (PartialDate(2022, 1, 6), None, "")),
        ("On 6 January 2022 the protests spread", None),  # a sentence, not a dateline
        ("January 2022", None),  # a header line that states no day
    ],
)
def test_dateline(line, expected):
    assert dateline(line) == expected


@pytest.mark.parametrize(
    ("value", "date", "time"),
    [
        (
            "2022-01-06T13:15:00+06:00",
            PartialDate(2022, 1, 6),
            dt.time(13, 15, tzinfo=dt.timezone(dt.timedelta(hours=6))),
        ),
        ("2022-01", PartialDate(2022, 1), None),
        ("20220106", PartialDate(2022, 1, 6), None),
        ("January 6, 2022 1:15 pm", PartialDate(2022, 1, 6), dt.time(13, 15)),
        ("6 janvier 2022", PartialDate(2022, 1, 6), None),
        ("06.01.2022", PartialDate(2022, 1, 6), None),
        ("janvier 2022", PartialDate(2022, 1), None),
        ("2022-01-06T25:61", PartialDate(2022, 1, 6), None),
    ],
)
def test_parse_date(value, date, time):
    assert parse_date(value) == (date, time)


def test_text_and_html_know_the_same_month_names():
    for written in ("6 janvier 2022", "6 Januar 2022", "6 enero 2022", "6 gennaio 2022"):
        assert parse_date(written)[0] == PartialDate(2022, 1, 6)
        assert extract_text(f"Headline of the piece\n\n{written}\n\n{PROSE}").published == PartialDate(2022, 1, 6)
