"""The citation formats by name: one article or many, as the text a reference manager imports."""

from __future__ import annotations

import json
from dataclasses import dataclass

from articles.citations import biblatex, csl, ris


@dataclass(frozen=True)
class CitationFormat:
    name: str  # as in URLs: cite.<name>, ?format=<name>
    label: str
    content_type: str
    unapi_name: str  # the name unAPI clients look for (Zotero's unAPI reader knows "ris")
    docs: str

    def render(self, items) -> str:
        items = list(items)
        if self.name == "ris":
            return ris.to_ris(items)
        if self.name == "bib":
            return biblatex.to_bib(biblatex.bib_entry(i) for i in items)
        return json.dumps([csl.csl_item(i) for i in items], ensure_ascii=False, indent=2) + "\n"


FORMATS = {
    f.name: f
    for f in (
        CitationFormat("ris", "RIS", ris.CONTENT_TYPE, "ris", "https://en.wikipedia.org/wiki/RIS_(file_format)"),
        CitationFormat("bib", "BibLaTeX", biblatex.CONTENT_TYPE, "biblatex", "https://ctan.org/pkg/biblatex"),
        CitationFormat(
            "csl.json",
            "CSL-JSON",
            csl.CONTENT_TYPE,
            "csl-json",
            "https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html",
        ),
    )
}
BY_UNAPI_NAME = {f.unapi_name: f for f in FORMATS.values()}
