"""Extraction of the five seeds: what a careful reader writes down, and a body without site chrome."""

import datetime as dt

import pytest

from articles.extraction.text import extract_text
from articles.extraction.types import Credit, PartialDate
from tests.conftest import SEEDS


def extract(name):
    return extract_text((SEEDS / name).read_text(encoding="utf-8"))


CHROME = [
    "Subscribe to",
    "If you find an error",
    "Roskomnadzor",
    "Leave a Comment",
    "Your email address",
    "Comments are closed",
    "About Author",
    "Type to search",
    "Views:",
    "Thank you!",
    "Read also other related materials",
    "does not have any financial support",
    "Dissemination and reprint",
    "No Responses to",
    "The opinions expressed in this article",
    "Tues Wed",
    "[1] https://",
]


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_no_chrome_in_any_body(name):
    body = extract(name).body
    for marker in CHROME:
        assert marker not in body, f"{marker!r} left in the body of {name}"


def test_politnavigator_seed():
    e = extract("000_9c5419554aa1a0fb.txt")
    assert e.title == "Power in Kazakhstan passes to the triumvirate. Does Russia have a chance?"
    assert e.credits == [Credit("Ainur Kurmanov", "author")]
    assert e.published == PartialDate(2022, 1, 6)
    assert e.published_time == dt.time(13, 15)
    assert e.published_zone == "Moscow time"  # "(Moscow time), Moscow" under the dateline
    assert e.published_offset is None  # the page names a zone, not an offset (ingest looks it up)
    assert e.site_name == "PolitNavigator"
    # "Author column" (the rubric) and "Zen" (Yandex Zen, a channel the page's subscribe line names) are
    # site furniture, not subjects.
    assert e.tags == ["Armed forces", "Kazakhstan", "Policy", "Russia", "middle Asia"]
    assert {"Author column", "Zen"} <= set(e.removed)
    assert e.paragraphs[0].startswith("Events in Kazakhstan are now unfolding around the establishment of control")
    assert e.paragraphs[0].endswith("complete calm is still far from complete.")
    assert e.paragraphs[1].startswith("As is known, on the evening of January 5")  # the repeated teaser is gone
    assert e.paragraphs[-1].endswith("mass protests will continue in the country with renewed vigor.")
    assert "Demolished signs on Nazarbayev Avenue." not in e.paragraphs  # photo caption
    assert len(e.paragraphs) == 25


def test_al_jazeera_seed():
    e = extract("001_85c1c91c220d666a.txt")
    assert e.title == "Kazakhstan: Coup, counter-coup and Russian victory"
    assert e.tags == ["Opinions"]
    assert e.credits == []  # "About Author" names nobody: no invented author
    assert e.published.precision == "unknown"  # the page prints no date
    assert e.site_name == "Al Jazeera"  # named in its disclaimer
    assert e.paragraphs[0].startswith("Earlier this month, Kazakhstan became the scene of bloody events")
    assert (
        e.paragraphs[-1]
        == "In other words, Kazakhstan 2022 may have inadvertently predestined the outcome of Russia 2024."
    )
    assert "From a gas price spike to the coup and counter-coup" in e.paragraphs  # subheads stay


def test_blog_seed():
    e = extract("002_1e562040c40c0d33.txt")
    assert e.title == "The dust is settling in Kazakhstan yet I can’t see clearly"
    assert e.credits == [Credit("Ramon Giralt", "author")]  # the signature line
    assert e.published.precision == "unknown"
    assert e.site_name == ""
    assert e.paragraphs[0].startswith("It’s been a couple of months since the exceptionally violent protests")
    assert e.paragraphs[-1].endswith("That will be quite interesting.")
    assert "Nazarbayev loyalists wouldn’t simply submit to a semi-puppet regime of Russia." in e.paragraphs
    assert "Ramon Giralt" not in e.body


def test_informnapalm_seed():
    e = extract("003_1d74b9649cbe830b.txt")
    assert e.title == "Kazakhstan is a new Pandora’s box for the Russian Federation"
    assert e.credits == [
        Credit("Sofia Hriniova", "author"),
        Credit("Victria Batarchuk", "translator"),  # spelled as the page spells it
        Credit("Artem Velichko", "editor"),
    ]
    assert e.site_name == "InformNapalm"
    assert e.paragraphs[0].startswith("Russian propagandists are trying to convince the domestic audience")
    assert e.paragraphs[-1].endswith(
        "should any forces appear in Russia that want to take advantage of the old age, "
        "weakness or illness of its leader, and to make a similar coup?"
    )
    assert len(e.references) == 24
    assert e.references[0].startswith("[1] https://www.inform.kz/")
    assert (
        e.references[7] == "[8] https://www.vb.kg/doc/411990_pogromshiki_otrezali_golovy_kazahstanskomy_siloviky.html"
    )
    assert "Events timeline" in e.paragraphs and "Conclusions" in e.paragraphs


def test_unnamed_site_seed():
    e = extract("004_0023f067e5c2ca8b.txt")
    assert e.title == (
        "The bloodshed in Kazakhstan, the internal power struggle, what Putin is up to and what it means for the world"
    )
    assert e.credits == [] and e.site_name == "" and e.published.precision == "unknown"
    assert e.paragraphs[0].startswith("The Soviet bloc appears to be reforming under Putin")
    assert e.paragraphs[-1].endswith("Tokayev will become the new leader for life, backed by Putin.")
    assert len(e.paragraphs) == 8


def test_dates_in_words_and_bylines():
    text = "A headline about the unrest\n\nBy Jane Doe\n\n6 January 2022\n\n" + ("Protesters gathered again. " * 20)
    e = extract_text(text)
    assert e.title == "A headline about the unrest"
    assert e.authors == ["Jane Doe"]
    assert e.published == PartialDate(2022, 1, 6)


def test_impossible_date_is_not_a_date():
    e = extract_text("Headline\n\n31.02.2022\n\n" + ("Words of the article go here. " * 20))
    assert e.published.precision == "unknown"


# --- structure: headings, list items, references ----------------------------------------------------
def test_headings_and_list_items_are_blocks_of_their_own_kind():
    e = extract("003_1d74b9649cbe830b.txt")
    blocks = list(zip(e.kinds, e.paragraphs, strict=True))
    assert ("h", "Events timeline") in blocks and ("h", "Conclusions") in blocks
    items = [text for kind, text in blocks if kind == "li"]
    assert len(items) == 12
    assert items[0].startswith("The long-planned LPG price rise")  # the bullet is structure, not text
    assert not any(p.startswith("- ") for p in e.paragraphs)
    aj = extract("001_85c1c91c220d666a.txt")
    headings = [text for kind, text in zip(aj.kinds, aj.paragraphs, strict=True) if kind == "h"]
    assert headings == [
        "From a gas price spike to the coup and counter-coup",
        "A Kazakh Compromise and a Russian Victory",
    ]
    # a question standing alone is text, not a heading
    assert "So what happened on January 5 that precipitated this sudden decision by Tokayev?" in aj.paragraphs
    assert all(k == "p" for k in extract("004_0023f067e5c2ca8b.txt").kinds)


PROSE = "The protests spread from the western oil towns to Almaty within two days, and the government fell. " * 3


def test_a_paragraph_after_the_references_stays_in_the_body():
    text = (
        "A headline about the unrest\n\nBy Jane Doe\n\n"
        f"{PROSE}[1]\n\n"
        "Second paragraph cites another source [2] and goes on for a while about what it said.\n\n"
        "[1] https://example.org/one\n[2] https://example.org/two\n"
        "Postscript: after this article was written, the government announced new elections.\n"
        "Share\n"
        "Leave a comment\n"
        "Your email address will not be published.\n"
    )
    e = extract_text(text)
    assert e.references == ["[1] https://example.org/one", "[2] https://example.org/two"]
    assert e.paragraphs[-1] == "Postscript: after this article was written, the government announced new elections."
    assert "Share" not in e.paragraphs and "Leave a comment" not in e.body


def test_a_reference_wrapped_onto_a_second_line_stays_one_reference():
    text = (
        f"Headline of the piece\n\n{PROSE}\n\n"
        "[1] Ministry of Energy, statement on gas prices,\n"
        "https://example.org/statement\n"
        "[2] https://example.org/two\n"
    )
    e = extract_text(text)
    assert e.references == [
        "[1] Ministry of Energy, statement on gas prices, https://example.org/statement",
        "[2] https://example.org/two",
    ]
    assert "https://example.org/statement" not in e.body


# --- times and their zones ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stamp", "zone", "offset_hours"),
    [
        ("06.01.2022 14:32 +06:00", "", 6),
        ("06.01.2022 14:32 UTC+6", "", 6),
        ("06.01.2022 14:32 GMT", "", 0),
        ("06.01.2022 14:32 (Moscow time)", "Moscow time", None),
        ("06.01.2022 14:32 (UTC+6)", "", 6),
        ("06.01.2022 14:32\n(UTC+6)", "", 6),  # on the line under the dateline
        ("06.01.2022 14:32\n-3 comments", "", None),  # a line that is more than a zone says none
        ("06.01.2022 14:32", "", None),  # no zone stated: none invented
    ],
)
def test_the_zone_a_dateline_states_is_kept(stamp, zone, offset_hours):
    e = extract_text(f"Headline of the piece\n\n{stamp}\n\n{PROSE}")
    assert e.published == PartialDate(2022, 1, 6) and e.published_time == dt.time(14, 32)
    assert e.published_zone == zone
    assert e.published_offset == (None if offset_hours is None else dt.timedelta(hours=offset_hours))


def test_tags_that_are_channels_or_rubrics_go():
    text = (
        "Headline of the piece\n\nOpinion column, Economy, Telegram, Gas prices\n\n"
        f"{PROSE}\n\nFollow the Daily on Telegram / Facebook\n"
    )
    e = extract_text(text)
    assert e.tags == ["Economy", "Gas prices"]
