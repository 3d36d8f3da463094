"""CSL-JSON (the Citation Style Language's data format), and formatted references rendered from it.

`issued.date-parts` holds one to three numbers, exactly the precision the archive knows; it is absent
when the date is unknown. Names are {"family", "given"} (a one-word name is {"literal"}).
"""

from __future__ import annotations

from articles.citations.item import CitationItem, PersonName
from articles.citations.processor import STYLES, render_reference

CONTENT_TYPE = "application/vnd.citationstyles.csl+json; charset=utf-8"


def _name(name: PersonName) -> dict:
    return {"family": name.family, "given": name.given} if name.given else {"literal": name.family}


def _parts(*numbers) -> dict:
    return {"date-parts": [[n for n in numbers if n]]}


def csl_item(item: CitationItem) -> dict:
    d = item.date
    data = {
        "id": item.key,
        "type": item.type.csl,
        "title": item.title,
        "author": [_name(n) for n in item.authors],
        "translator": [_name(n) for n in item.translators],
        "editor": [_name(n) for n in item.editors],
        "container-title": item.outlet,
        "issued": _parts(d.year, d.month, d.day) if d.year else None,
        "URL": item.url,
        "accessed": _parts(item.accessed.year, item.accessed.month, item.accessed.day),
        "language": item.language or None,
        "keyword": ", ".join(item.tags) or None,
        "note": item.provenance,
    }
    return {k: v for k, v in data.items() if v not in (None, "", [])}


def formatted_references(item: CitationItem) -> list[tuple[str, str]]:
    """[(style label, HTML)] for every shipped style, rendered by the CSL processor."""
    data = csl_item(item)
    data.pop("note")  # provenance is shown beside the references, not inside them
    return [(label, render_reference(data, key)) for key, (label, _file) in STYLES.items()]
