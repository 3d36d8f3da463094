"""Extract an article from scraped plain text: the page's words with its site chrome mixed in.

A scraped page is three zones: a header (title, byline, date, tags), the article, and a footer
(comment forms, disclaimers, credits, related links, calendars). The rules below recognise the
*kinds* of line that sites put in those zones, not particular sites, so a new outlet's page with
the same furniture is handled too. Whatever is removed is kept in `Extracted.removed` for audit;
the verbatim original is stored by ingest regardless.
"""

from __future__ import annotations

import re

from articles.extraction.dates import dateline
from articles.extraction.types import BULLET_ITEM, HEADING, PARAGRAPH, Credit, Extracted
from articles.extraction.zones import NAMED_ZONE, OFFSET_AFTER_TIME, offset_after

# A paragraph this long is article prose, never header furniture.
PROSE_WORDS = 25
# A name: two to four capitalised words (with hyphens/apostrophes), optional trailing period.
NAME = r"[A-ZА-ЯЁ][\w'’\-]+(?:\s+[A-ZА-ЯЁ][\w'’\-]+){1,3}"
NAME_LINE = re.compile(rf"^(?:By\s+)?({NAME})\.?$")

# Lines that are site chrome wherever they appear.
CHROME_LINES = [
    r"type to search",
    r"search( for)?:?",
    r"views:?\s*[\d\s,.]+",
    r"\(\s*\w+ time\s*\)\s*,?.*",  # "(Moscow time), Moscow": the time zone note of a dateline
    r"if you find an error, please select .*",
    r"leave a (comment|reply)",
    r"your email address will not be published.*",
    r"comments are closed\.?",
    r"about( the)? author",
    r"share( this)?( article| on .*)?:?",
    r"thank you!?",
    r"now the editors are aware\.?",
    r"subscribe to .*",
    r"follow us( on .*)?",
    r"placing links to third-party resources (is )?prohibited!?",
    r"related( articles| posts| materials)?:?",
    r"advertisement",
    r"[•·]?\s*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{4}",  # calendar widget
    r"mon\s+tue.*",
    r"[\"“]?\s*(january|february|march|april|may|june|july|august|september|october|november|december)\s*",
    r"[\d\s]{5,}",  # calendar day grids: "12345", "6789101112"
    r"•\s*",
]
CHROME_RE = re.compile(r"^\s*(?:" + "|".join(CHROME_LINES) + r")\s*$", re.IGNORECASE)

# A line that opens the footer: everything after it is chrome (credits and references are read first).
FOOTER_START = re.compile(
    r"^\s*(?:"
    r"if you find an error, please select"
    r"|leave a (?:comment|reply)\b"
    r"|comments are closed"
    r"|about (?:the )?author\s*$"
    r"|no responses to\b"
    r"|\d+ (?:responses|comments) to\b"
    r"|read (?:also|more)(?: other)? related"
    r"|related (?:articles|posts)\s*$"
    r"|dear readers,"
    r"|subscribe to .* news\s*$"
    r")",
    re.IGNORECASE,
)
# Disclaimers, licences and appeals that close an article.
CLOSING_BOILERPLATE = re.compile(
    r"^\s*(?:the (?:opinions|views) expressed in this article are"
    r"|.{0,60}does not have any financial support"
    r"|dissemination and reprint"
    r"|(?:this|the) (?:publication|article|analytical review|review|material) was"
    r" (?:specially |especially )?prepared by"
    r")",
    re.IGNORECASE,
)
REFERENCE = re.compile(r"^\s*\[(\d{1,3})\]\s*(\S.*)$")
# A line that goes on with the reference above it: a bare address or a lower-case continuation.
REFERENCE_CONTINUED = re.compile(r"^(?:https?://|www\.|[a-z])")
# Ends like a sentence (closing quotes and brackets allowed after the stop).
SENTENCE = re.compile(r"[.!?…][\"'”’»)\]]*$")
# A bulleted list item: its marker is list structure, not text.
BULLET = re.compile(r"^[-–—•*·▪]\s+(?=\S)")
# A heading: a short line that ends without a stop, standing above the text it heads.
HEADING_MAX_WORDS = 12
HEADING_END = re.compile(r"[.!?…,;:\"'”’»)\]]$")
# Tags that name a kind of piece rather than its subject ("Author column", "Blogs", "Op-ed").
RUBRIC_TAG = re.compile(
    r"^(?:(?:author|guest|editor|opinion)(?:'?s)?\s+)?(?:columns?|blogs?|op-?eds?|editorials?)$", re.I
)
# "Subscribe to X news at A, B, Yandex Zen", "Follow X on Facebook / Twitter": the channels a page names.
CHANNELS = re.compile(r"^\s*(?:subscribe to|follow)\b.*?\b(?:at|on|in|via)\s+(.+)$", re.I)
TEASER_END = re.compile(r"(?:\.{3,}|…)\s*$")

# Credits in prose: "prepared by X for the readers of InformNapalm", "Translated by Y, edited by Z".
PREPARED_BY = re.compile(
    rf"(?:prepared|written|compiled)\s+by\s+({NAME})\s+(?:especially\s+|specially\s+)?for\s+"
    rf"(?:the\s+readers\s+of\s+)?(?:the\s+)?([A-Z][\w\-]+(?:\s[A-Z][\w\-]+)?)",
)
ROLE_BY = re.compile(rf"\b(translated|edited|photos?|photographs)\s+by\s+({NAME})", re.IGNORECASE)
ROLE_NAMES = {"translated": "translator", "edited": "editor", "photo": "photographer", "photos": "photographer"}
ROLE_NAMES["photographs"] = "photographer"
# Outlets the text names about itself.
SITE_NAMED = [
    re.compile(r"^Subscribe to ([A-Z][\w\-]+(?: [A-Z][\w\-]+)?) news\b"),
    re.compile(r"editorial (?:position|policy|stance) of ([A-Z][\w\- ]+?)\.?\s*$"),
    re.compile(r"^Follow ([A-Z][\w\-]+) on "),
    re.compile(r"^Read also other related materials on ([A-Z][\w\-]+)"),
]
TITLE_IN_COMMENTS = re.compile(r"^\s*(?:no|\d+)\s+(?:responses|comments|replies)\s+to\s+[“\"«](.+?)[”\"»]\s*$", re.I)
SECTION_SUFFIX = re.compile(r"^(.{10,}?)\s+[|–—]\s+([\w ]{3,30})$")
PERSON_STOP = {"Leave", "Comment", "Comments", "About", "Author", "Type", "Search", "Thank", "Share", "Photo"}


def extract_text(text: str) -> Extracted:
    """Read title, credits, date, outlet, tags, references and the clean body from scraped text."""
    out = Extracted()
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    paras = [ln.strip() for ln in lines if ln.strip()]

    body_start = _read_header(paras, out)
    footer_start = next((i for i in range(body_start, len(paras)) if FOOTER_START.match(paras[i])), len(paras))
    _read_footer(paras[footer_start:], out)

    body: list[str] = []
    references: list[str] = []
    after_reference = False
    for p in paras[body_start:footer_start]:
        if m := REFERENCE.match(p):
            references.append(f"[{m.group(1)}] {m.group(2).strip()}")
            after_reference = True
            continue
        if after_reference and REFERENCE_CONTINUED.match(p):
            references[-1] += " " + p  # a long reference wrapped onto the next line
            continue
        after_reference = False
        if CLOSING_BOILERPLATE.match(p):
            _read_credit_line(p, out)
            out.removed.append(p)
        elif _names_site(p, out) or CHROME_RE.match(p):
            out.removed.append(p)
        elif references and not SENTENCE.search(p) and not _is_prose(p):
            out.removed.append(p)  # after the references: a menu, a tag line, a button, not article text
        else:
            body.append(p)
    out.references = references + out.references
    body = _drop_teasers(body, out)
    body = _drop_signature(body, out)
    out.paragraphs, out.kinds = _structure(_drop_captions(body, out))
    out.tags = _drop_furniture_tags(out.tags, paras, out)

    if not out.title:
        out.title = next((m.group(1) for p in paras if (m := TITLE_IN_COMMENTS.match(p))), "")
    out.title = out.title.strip().rstrip(".").strip()
    return out


def _is_prose(p: str) -> bool:
    return len(p.split()) >= PROSE_WORDS and not CHROME_RE.match(p)


def _read_header(paras: list[str], out: Extracted) -> int:
    """Read title, byline, date and tags lines in whatever order the site prints them.

    The header ends at the first line that is none of those: prose (or anything unrecognised) is
    article text and is never dropped as furniture.
    """
    for i, p in enumerate(paras):
        if _is_prose(p) and not PREPARED_BY.search(p):
            return i
        if CLOSING_BOILERPLATE.match(p) or PREPARED_BY.search(p):
            _read_credit_line(p, out)
            out.removed.append(p)
            continue
        if _read_zone_line(p, out) or _names_site(p, out) or CHROME_RE.match(p):
            out.removed.append(p)
            continue
        if _read_date(p, out):
            continue
        if not out.title:
            m = SECTION_SUFFIX.match(p)
            if m:
                out.title, section = m.group(1), m.group(2).strip()
                out.tags.append(section)
            else:
                out.title = p
            continue
        m = NAME_LINE.match(p)
        if m and not out.credits and not set(m.group(1).split()) & PERSON_STOP:
            out.credits.append(Credit(m.group(1)))
            continue
        items = [t.strip() for t in p.split(",")]
        if len(items) >= 3 and all(0 < len(t.split()) <= 3 for t in items) and not p.endswith("."):
            out.tags.extend(t for t in items if t not in out.tags)
            continue
        return i
    return len(paras)


def _read_date(p: str, out: Extracted) -> bool:
    found = dateline(p)
    if found is not None:
        out.published, time, rest = found
        if time is not None:
            out.published_time = time
            _read_zone(rest, out)
    return found is not None


def _read_zone(rest: str, out: Extracted) -> bool:
    """The zone stated right after a time ("+03:00", "UTC+3", "(Moscow time)"); True if one was."""
    offset = offset_after(rest.strip().lstrip("("))
    if offset is not None:
        out.published_offset = offset.utcoffset(None)
        return True
    m = NAMED_ZONE.match(rest.strip())
    if m:
        out.published_zone = m.group(1)
        return True
    return False


def _read_zone_line(p: str, out: Extracted) -> bool:
    """A dateline's zone printed on the next line: "(Moscow time), Moscow" under "06.01.2022 13:15"."""
    if out.published_time is None or out.published_zone or out.published_offset is not None or len(p) > 40:
        return False
    if OFFSET_AFTER_TIME.fullmatch(p.strip(" ()")) or NAMED_ZONE.match(p):  # a line that states only that
        return _read_zone(p, out)
    return False


def _read_footer(footer: list[str], out: Extracted) -> None:
    for p in footer:
        m = REFERENCE.match(p)
        if m:
            out.references.append(f"[{m.group(1)}] {m.group(2).strip()}")
            continue
        _read_credit_line(p, out)
        _names_site(p, out)
        out.removed.append(p)


def _read_credit_line(p: str, out: Extracted) -> None:
    m = PREPARED_BY.search(p)
    if m:
        _add_credit(out, m.group(1), "author")
        if not out.site_name:
            out.site_name = m.group(2)
    for role, name in ROLE_BY.findall(p):
        _add_credit(out, name, ROLE_NAMES[role.lower()])
    _names_site(p, out)


def _add_credit(out: Extracted, name: str, role: str) -> None:
    if not any(c.name == name and c.role == role for c in out.credits):
        out.credits.append(Credit(name, role))


def _names_site(p: str, out: Extracted) -> bool:
    """Note an outlet the text names about itself; True when the whole line is such chrome."""
    for rx in SITE_NAMED:
        m = rx.search(p)
        if m:
            if not out.site_name:
                out.site_name = m.group(1).strip()
            return rx is not SITE_NAMED[1] or len(p.split()) < 30
    return False


def _structure(body: list[str]) -> tuple[list[str], list[str]]:
    """(texts, kinds): list items lose their bullet; short unpunctuated lines heading more text are headings."""
    blocks = []
    for i, p in enumerate(body):
        if m := BULLET.match(p):
            blocks.append((p[m.end() :], BULLET_ITEM))
        else:
            blocks.append((p, HEADING if i + 1 < len(body) and _is_heading(p) else PARAGRAPH))
    return [text for text, _ in blocks], [kind for _, kind in blocks]


def _is_heading(p: str) -> bool:
    return (
        len(p.split()) <= HEADING_MAX_WORDS
        and len(p) <= 120
        and p[:1].isupper()
        and not HEADING_END.search(p)
        and not CHROME_RE.match(p)
    )


def _drop_furniture_tags(tags: list[str], paras: list[str], out: Extracted) -> list[str]:
    """Tags that are site furniture: the piece's rubric ("Author column") and the channels the page itself
    names as where to follow it ("Zen" of "Subscribe ... at Yandex Zen, Telegram")."""
    channels = set()
    for p in paras:
        if m := CHANNELS.match(p):
            for name in re.split(r"\s*(?:,|/|\band\b|\bи\b)\s*", m.group(1)):
                words = name.split()
                if words:
                    channels.update({" ".join(words).casefold(), words[-1].casefold()})
    return _drop(tags, lambda tag: RUBRIC_TAG.match(tag) or tag.casefold() in channels, out)


def _drop(items: list[str], unwanted, out: Extracted) -> list[str]:
    """The items but the unwanted ones, which go to out.removed."""
    kept = []
    for item in items:
        (out.removed if unwanted(item) else kept).append(item)
    return kept


def _drop_teasers(body: list[str], out: Extracted) -> list[str]:
    """Drop a teaser ("First words of the lead....") that repeats the start of another paragraph."""

    def is_teaser(p: str) -> bool:
        stem = TEASER_END.sub("", p).strip() if TEASER_END.search(p) else ""
        return len(stem) > 20 and any(q != p and q.startswith(stem) for q in body)

    return _drop(body, is_teaser, out)


def _drop_signature(body: list[str], out: Extracted) -> list[str]:
    """A lone name after the last paragraph is the author's signature."""
    if len(body) > 1:
        m = NAME_LINE.match(body[-1])
        if m and not set(m.group(1).split()) & PERSON_STOP:
            if not out.authors:
                out.credits.insert(0, Credit(m.group(1)))
            out.removed.append(body[-1])
            return body[:-1]
    return body


def _drop_captions(body: list[str], out: Extracted) -> list[str]:
    """Photo captions: short one-sentence lines standing between long paragraphs of prose."""
    if len(body) < 4:
        return body
    lengths = sorted(len(p.split()) for p in body)
    if lengths[len(lengths) // 2] < 40:
        return body  # a text of short paragraphs: no way to tell a caption from a sentence

    def is_caption(p: str) -> bool:
        return len(p.split()) <= 10 and p.endswith(".") and p.count(". ") == 0 and not p.startswith(("- ", "•"))

    return _drop(body, is_caption, out)
