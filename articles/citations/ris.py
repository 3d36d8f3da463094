"""RIS, written by rispy, with the tags Zotero's RIS translator reads for news, blog and web items.

DA carries the date at its precision with empty parts (`2022/01//`), PY the year; both are absent when
the date is unknown. T2 is the outlet (Zotero: publication, blog or website title by type), A4 the
translators, Y2 the access date, N1 the archive permalink and the original file's SHA-256, DP "kzarchive"
(Zotero's "Library Catalog").
"""

from __future__ import annotations

import rispy

from articles.citations.item import CitationItem

CONTENT_TYPE = "application/x-research-info-systems; charset=utf-8"


def ris_date(item: CitationItem) -> str | None:
    """RIS "YYYY/MM/DD/other" with unknown parts left empty: 2022/01/06/, 2022/01//, 2022///."""
    d = item.date
    if d.year is None:
        return None
    month = f"{d.month:02d}" if d.month else ""
    day = f"{d.day:02d}" if d.day else ""
    return f"{d.year:04d}/{month}/{day}/"


def ris_entry(item: CitationItem) -> dict:
    entry = {
        "type_of_reference": item.type.ris,
        "title": item.title,
        "authors": [n.inverted for n in item.authors],
        "subsidiary_authors": [n.inverted for n in item.translators],
        "secondary_title": item.outlet,
        "date": ris_date(item),
        "year": f"{item.date.year:04d}" if item.date.year else None,
        "language": item.language or None,
        "urls": [item.url],
        "access_date": item.accessed.strftime("%Y/%m/%d"),
        "keywords": list(item.tags),
        "notes": [item.provenance],
        "database_provider": "kzarchive",
    }
    return {k: v for k, v in entry.items() if v not in (None, "", [])}


def to_ris(items) -> str:
    return rispy.dumps([ris_entry(i) for i in items])
