"""BibLaTeX, written by bibtexparser, text escaped by pylatexenc.

`@article` + `journaltitle` for news, `@online` + `titleaddon` (the outlet) for blogs and other pages,
as Zotero's BibLaTeX translator writes them. `date` is ISO 8601 at the known precision (`2022-01`),
absent when unknown. Text is kept in UTF-8 (biber reads it) and only TeX's special characters are
escaped, using pylatexenc's own table for them; `url` and dates are verbatim fields and not escaped.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import quote

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import default_unparse_stack
from bibtexparser.model import Entry, ExplicitComment, Field
from pylatexenc.latexencode import (
    RULE_DICT,
    UnicodeToLatexConversionRule,
    UnicodeToLatexEncoder,
    get_builtin_uni2latex_dict,
)

from articles.citations.item import CitationItem, PersonName

CONTENT_TYPE = "application/x-bibtex; charset=utf-8"

# babel/polyglossia language names for `langid` (the subset of Zotero's map for this archive's languages).
LANGID = {
    "en": "english",
    "ru": "russian",
    "uk": "ukrainian",
    "kk": "kazakh",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pl": "polish",
    "tr": "turkish",
    "ar": "arabic",
    "zh": "pinyin",
}


@cache
def _encoder() -> UnicodeToLatexEncoder:
    """pylatexenc's escapes for TeX's ASCII specials (# $ % & \\ ^ _ { } ~ < >); everything else stays UTF-8.

    The straight double quote is left alone: it needs no escape inside a braced field.
    """
    specials = {code: latex for code, latex in get_builtin_uni2latex_dict().items() if code < 128 and chr(code) != '"'}
    return UnicodeToLatexEncoder(
        conversion_rules=[UnicodeToLatexConversionRule(rule_type=RULE_DICT, rule=specials)],
        replacement_latex_protection="braces-after-macro",
        unknown_char_policy="keep",  # UTF-8 stays UTF-8
        unknown_char_warning=False,
    )


def tex(text: str) -> str:
    return _encoder().unicode_to_latex(text)


def _name(name: PersonName) -> str:
    family, given = tex(name.family), tex(name.given)
    if re.search(r"\band\b", name.full, re.IGNORECASE):  # "and" separates names in BibTeX: protect it
        family, given = f"{{{family}}}", f"{{{given}}}" if given else ""
    return f"{family}, {given}" if given else family


def _names(names) -> str | None:
    return " and ".join(_name(n) for n in names) or None


def _url(url: str) -> str:
    """URLs are verbatim in BibLaTeX; only characters that would unbalance the field are percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def bib_entry(item: CitationItem) -> Entry:
    is_news = item.type.biblatex == "article"
    fields = {
        "author": _names(item.authors),
        "title": tex(item.title),
        "journaltitle" if is_news else "titleaddon": tex(item.outlet) if item.outlet else None,
        "translator": _names(item.translators),
        "editor": _names(item.editors),
        "date": item.date.iso(),
        "langid": LANGID.get((item.language or "").split("-")[0].lower()),
        "url": _url(item.url),
        "urldate": item.accessed.isoformat(),
        "keywords": tex(", ".join(item.tags)) or None,
        "annotation": tex(item.provenance),
    }
    return Entry(item.type.biblatex, item.key, [Field(k, v) for k, v in fields.items() if v])


def comment(text: str) -> ExplicitComment:
    return ExplicitComment(tex(" ".join(text.split())))


def to_bib(blocks) -> str:
    """Entries (and comments) as BibLaTeX text, values enclosed in braces."""
    library = Library(list(blocks))
    return bibtexparser.write_string(library, unparse_stack=default_unparse_stack(allow_inplace_modification=True))
