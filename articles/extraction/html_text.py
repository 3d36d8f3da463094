"""Small text helpers for the HTML extractor: cleaning, dates, people's names.

Pure Python, no Django, no parsing of HTML (that is html.py / html_meta.py).
"""

from __future__ import annotations

import datetime as dt
import html as _html
import re
import unicodedata

from .types import BLOCK_KINDS, PARAGRAPH, Credit, PartialDate
from .zones import offset_after

# Control characters (incl. NUL) other than \t \n \r; they never belong in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# Something shaped like an HTML tag (metadata sometimes carries markup).
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,2000}>")
_WS = re.compile(r"\s+")
# Markup smuggled into metadata: a script/style element goes with its content.
_SCRIPT_BLOCK = re.compile(r"<(script|style|template|noscript)\b[^>]{0,2000}>.{0,100000}?(?:</\1\s*>|$)", re.I | re.S)


def clean_text(s: object, *, limit: int = 2000) -> str:
    """Plain one-line text: entities decoded, tags and control chars removed."""
    if not isinstance(s, str):
        if s is None or isinstance(s, (dict, list, bool)):
            return ""
        s = str(s)
    s = s[: limit * 4]
    if "&" in s:
        s = _html.unescape(s)
    if "<" in s:
        s = _SCRIPT_BLOCK.sub(" ", s)
        s = _TAG.sub(" ", s)
    s = _CONTROL.sub("", s)
    s = _WS.sub(" ", s).strip()
    return s[:limit].strip()


def clean_para(s: str) -> str:
    """One paragraph of body text: control chars out, inner whitespace collapsed."""
    s = _CONTROL.sub("", s)
    return " ".join(s.split())


# A heading or list item travels through the body cleanup as one line "<mark>kind<mark> text", so the
# line filters need no second list beside them. U+E000 is a private-use character: no text reads
# "\ue000h\ue000" by chance.
KIND_MARK = "\ue000"
_KINDED = re.compile(f"^{KIND_MARK}({'|'.join(BLOCK_KINDS)}){KIND_MARK} ")


def kind_line(kind: str, text: str) -> str:
    return text if kind == PARAGRAPH else f"{KIND_MARK}{kind}{KIND_MARK} {text}"


def split_kind(line: str) -> tuple[str, str]:
    """(kind, text) of a line made by kind_line."""
    m = _KINDED.match(line)
    return (m.group(1), line[m.end() :]) if m else (PARAGRAPH, line)


def words(s: str) -> list[str]:
    return re.findall(r"\w+", s.lower())


def fold(s: str) -> str:
    """Lowercase, accents off, only letters/digits: for loose comparisons."""
    s = unicodedata.normalize("NFKD", s.lower())
    return "".join(ch for ch in s if ch.isalnum())


# --------------------------------------------------------------------------- dates
_MONTHS = {
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


def _valid(y: int, m: int | None, d: int | None) -> bool:
    if not 1990 <= y <= dt.date.today().year + 1:
        return False
    if m is None:
        return True
    if not 1 <= m <= 12:
        return False
    if d is None:
        return True
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return True


def _time(h, mi, s) -> dt.time | None:
    try:
        return dt.time(int(h), int(mi), int(s or 0)) if h is not None and mi is not None else None
    except ValueError:
        return None


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
        y, mo = int(m.group(1)), int(m.group(3))
        d = int(m.group(4)) if m.group(4) else None
        if _valid(y, mo, d):
            t = _time(m.group(5), m.group(6), m.group(7)) if d else None
            if t is not None:
                t = t.replace(tzinfo=offset_after(s[m.end() :]))
            return PartialDate(y, mo, d), t
    m = _COMPACT.search(s)
    if m and _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return PartialDate(int(m.group(1)), int(m.group(2)), int(m.group(3))), _time(m.group(4), m.group(5), m.group(6))
    if not allow_text:
        return None
    t = None
    m12 = _TIME12.search(s)
    if m12:
        h = int(m12.group(1)) % 12 + (12 if m12.group(3).lower() == "p" else 0)
        t = _time(h, m12.group(2), 0)
    for rx, order in ((_MDY, "mdy"), (_DMY_NAME, "dmy")):
        m = rx.search(s)
        if m:
            if order == "mdy":
                mon, d, y = _MONTHS.get(m.group(1).lower()), int(m.group(2)), int(m.group(3))
            else:
                d, mon, y = int(m.group(1)), _MONTHS.get(m.group(2).lower()), int(m.group(3))
            if mon and _valid(y, mon, d):
                return PartialDate(y, mon, d), t
    m = _DMY.search(s)
    if m:
        d, mon, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid(y, mon, d):
            return PartialDate(y, mon, d), None
    m = _MY_NAME.search(s)
    if m:
        mon, y = _MONTHS.get(m.group(1).lower()), int(m.group(2))
        if mon and _valid(y, mon, None):
            return PartialDate(y, mon, None), None
    return None


# --------------------------------------------------------------------------- people
_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|story|text|words|article)\s+)?"
    r"(?:by|par|por|von|door|di|av|af|från|автор|авторы|作者|文)\s*[:：]?\s+|^\s*(?:by|par|por|von)\s*[:：]\s*"
    r"|^\s*(?:authors?|autor(?:es|in)?|auteurs?|byline|credits?)\s*[:：]\s*",
    re.I,
)
_ROLE_PREFIX = [
    (re.compile(r"^\s*(?:edited|editing)\s+by\s*:?\s*", re.I), "editor"),
    (re.compile(r"^\s*(?:editor|editors)\s*:\s*", re.I), "editor"),
    (re.compile(r"^\s*(?:translated|translation)\s+by\s*:?\s*", re.I), "translator"),
    (re.compile(r"^\s*(?:translator|translators)\s*:\s*", re.I), "translator"),
    (re.compile(r"^\s*(?:photos?|photographs?|photography)\s+by\s*:?\s*", re.I), "photographer"),
    (re.compile(r"^\s*(?:illustrations?|illustrated)\s+by\s*:?\s*", re.I), "illustrator"),
    (re.compile(r"^\s*(?:additional\s+)?reporting\s+(?:by|from)\s*:?\s*", re.I), "contributor"),
]
_ROLE_SPLIT = re.compile(
    r"\b((?:edited|translated|photos?|photographs?|illustrations?|additional reporting|reporting)\s+by)\b", re.I
)
_SPLIT = re.compile(r"\s*(?:,|;|\||/|\band\b|&|\bund\b|\bet\b|\by\b|\be\b|、|，|\s+-\s+)\s*", re.I)
_CREDENTIAL = re.compile(
    r"^(?:ma|ms|msc|mba|md|phd|ph\.?d\.?|jr\.?|sr\.?|rn|mph|dr|esq\.?|ii|iii|iv|cpa|bsc|mfa|dds)$", re.I
)
_NOT_NAME = re.compile(
    r"https?:|www\.|@|\.com\b|\d|^(?:staff|admin|administrator|editor|editors|unknown|anonymous|"
    r"guest|follow|follow author|more|none|null|undefined|the|a|an|reporter|correspondent|contributor|"
    r"associated press writer|staff writer|contributing writer|senior writer|by|updated|published|"
    r"share|comments?|email|print|twitter|facebook|view all posts|about the author|about|author|authors|"
    r"written by|posted by|more by|all posts by|read more|see all|profile|bio|biography)$",
    re.I,
)
_CUT = re.compile(
    r"\s*(?:\||•|·|—|–|\blast\s+(?:updated|modified)\b|\bupdated\b|\bpublished\b|\bposted\b|\bon\b\s+(?:\w+\s+)?\d|\bat\b\s+\d|\bfor\b\s+|"
    r"\bin\b\s+[A-Z]|\d{1,2}:\d\d|\b\d{1,2}\s+\w+\s+(?:19|20)\d\d|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d\d|"
    r"\b(?:19|20)\d\d\b|\n).*$",
    re.I | re.S,
)


def _one_name(s: str) -> str:
    s = clean_text(s, limit=200)
    s = _BY_PREFIX.sub("", s, count=1)
    s = s.strip(" .,:;-–—|·•()[]\"'«»“”")
    if not s or _NOT_NAME.search(s):
        return ""
    if len(s) > 60 or len(s.split()) > 6:
        return ""
    if not any(ch.isalpha() for ch in s):
        return ""
    # ALL CAPS bylines read better as names ("JOE HILDEBRAND" -> "Joe Hildebrand").
    if s.isupper() and len(re.findall(r"[A-Za-z]{2,}", s)) >= 2:
        s = s.title()
    return s


def split_names(raw: str) -> list[str]:
    """'By Jane Doe and John Roe, Staff' -> ['Jane Doe', 'John Roe']."""
    s = clean_text(raw, limit=400)
    s = re.sub(r"(?:https?://|www\.)\S*|\S+@\S+\.\w+", " ", s).strip()  # links and e-mails are not names
    s = _BY_PREFIX.sub("", s, count=1)
    s = _CUT.sub("", s) if s else s
    if not s:
        return []
    parts = [p for p in _SPLIT.split(s) if p and p.strip()]
    # "Jong, Michiel de" (Last, First) is one person, not two: -> "Michiel de Jong".
    if s.count(",") == 1 and len(parts) == 2:
        last, first = (x.strip() for x in s.split(","))
        if (
            len(last.split()) == 1
            and 1 <= len(first.split()) <= 2
            and not _CREDENTIAL.match(first.replace(".", ""))
            and last[:1].isupper()
            and first[:1].isupper()
        ):
            parts = [f"{first} {last}"]
    # "Mac & i", "AT&T": a split leaving a one- or two-letter piece was no list of people.
    if len(parts) > 1 and any(len(p.strip()) <= 2 and not _CREDENTIAL.match(p.strip().replace(".", "")) for p in parts):
        parts = [s]
    out: list[str] = []
    for p in parts:
        if _CREDENTIAL.match(p.strip().replace(".", "")):
            continue
        n = _one_name(p)
        if n and n not in out:
            out.append(n)
    return out


_BY_ONLY = re.compile(r"^(?:(?:written|posted|story|text|words)\s+)?(?:by|par|por|von|door|di|av|af)\s*:?$", re.I)
_PAREN = re.compile(r"\(([^()]*)\)")
_WITH = re.compile(r"^\s*(?:with|avec|mit|con|com|and|et|und|y|e)\s+", re.I)
_LINE_OK = re.compile(r"^\s*(?:by|and|&|with|\w+(?:ed|ion|ions|s)?\s+by)\b", re.I)


def _paren(m: re.Match) -> str:
    inner = m.group(1)
    if re.search(r"https?:|www\.|@|\d", inner):
        return " "
    if _WITH.match(inner):
        return ", " + _WITH.sub("", inner) + " "
    return m.group(0)


def credits_from_byline(raw: str) -> list[Credit]:
    """A free-text byline, possibly with roles: 'Written by A Edited by B'."""
    if not isinstance(raw, str):
        return []
    lines = [ln for ln in (x.strip() for x in raw[:2000].split("\n")) if ln]
    while len(lines) > 1 and _BY_ONLY.match(lines[0]):  # "By" on a line of its own
        lines[:2] = [lines[0] + " " + lines[1]]
    if len(lines) > 1:
        lines = [lines[0]] + [ln for ln in lines[1:] if _LINE_OK.match(ln)]
    s = clean_text(" ".join(lines), limit=500)
    s = _PAREN.sub(_paren, s)
    if not s:
        return []
    pieces = _ROLE_SPLIT.split(s)
    # pieces: [before, 'Edited by', rest, 'Photos by', rest, ...]
    chunks: list[tuple[str, str]] = [("author", pieces[0])]
    for i in range(1, len(pieces) - 1, 2):
        chunks.append(("", pieces[i] + " " + pieces[i + 1]))
    out: list[Credit] = []
    for role, text in chunks:
        if not role:
            role = "author"
            for rx, r in _ROLE_PREFIX:
                if rx.match(text):
                    role, text = r, rx.sub("", text, count=1)
                    break
        for name in split_names(text):
            if not any(c.name == name for c in out):
                out.append(Credit(name, role))
    return out
