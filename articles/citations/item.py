"""One article as a reference-manager item: the single source every citation format is written from.

The item type follows the outlet's kind (the mapping Zotero's own translators use between its types and
RIS, BibLaTeX and CSL); dates keep the precision the archive knows; names are split the way Zotero
splits a name it is given whole (the last word is the family name), since the archive stores names as
the text prints them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from articles.extraction.types import PartialDate
from articles.models import Article, Credit, Source


@dataclass(frozen=True)
class ItemType:
    zotero: str  # Zotero item type (embedded metadata, unAPI)
    ris: str  # RIS TY
    biblatex: str  # BibLaTeX entry type
    csl: str  # CSL type
    label: str


NEWS = ItemType("newspaperArticle", "NEWS", "article", "article-newspaper", "news article")
BLOG = ItemType("blogPost", "BLOG", "online", "post-weblog", "blog post")
WEBPAGE = ItemType("webpage", "ELEC", "online", "webpage", "web page")

# An opinion section belongs to a news site (Al Jazeera Opinion is still Al Jazeera); a volunteer
# community's site and anything else is a web page; an unknown outlet is a web page.
BY_OUTLET_KIND = {
    Source.Kind.NEWS_SITE: NEWS,
    Source.Kind.OPINION: NEWS,
    Source.Kind.BLOG: BLOG,
    Source.Kind.COMMUNITY: WEBPAGE,
    Source.Kind.OTHER: WEBPAGE,
}


def item_type(source: Source | None) -> ItemType:
    return BY_OUTLET_KIND.get(source.kind, WEBPAGE) if source is not None else WEBPAGE


@dataclass(frozen=True)
class PersonName:
    full: str
    family: str
    given: str  # "" for a one-word name

    @classmethod
    def parse(cls, full: str) -> PersonName:
        full = " ".join(full.split())
        given, _, family = full.rpartition(" ")
        return cls(full, family, given)

    @property
    def inverted(self) -> str:
        """ "Family, Given": the unambiguous form RIS and BibLaTeX read."""
        return f"{self.family}, {self.given}" if self.given else self.family


@dataclass(frozen=True)
class CitationItem:
    pk: int
    type: ItemType
    title: str
    authors: tuple[PersonName, ...]
    translators: tuple[PersonName, ...]
    editors: tuple[PersonName, ...]
    outlet: str | None
    date: PartialDate
    language: str
    original_url: str | None
    permalink: str
    source_file: str
    sha256: str
    tags: tuple[str, ...]
    accessed: dt.date

    @property
    def key(self) -> str:
        """Citation key / CSL id, stable across exports."""
        return f"kzarchive-{self.pk}"

    @property
    def url(self) -> str:
        """Where a reader goes: the original page when known, else the archived copy."""
        return self.original_url or self.permalink

    @property
    def provenance(self) -> str:
        return f"Archived in kzarchive: {self.permalink} (file {self.source_file}, SHA-256 {self.sha256})"


def citation_item(article: Article, permalink: str, accessed: dt.date) -> CitationItem:
    """`article` should come from `Article.objects.for_listing()` (credits, outlet and tags prefetched)."""

    def names(role: str) -> tuple[PersonName, ...]:
        return tuple(PersonName.parse(p.name) for p in article.credited(role))

    source = article.source if article.source_id else None
    return CitationItem(
        pk=article.pk,
        type=item_type(source),
        title=article.title,
        authors=names(Credit.Role.AUTHOR),
        translators=names(Credit.Role.TRANSLATOR),
        editors=names(Credit.Role.EDITOR),
        outlet=source.name if source else None,
        date=article.partial_date,
        language=article.language,
        original_url=article.url or None,
        permalink=permalink,
        source_file=article.source_file,
        sha256=article.sha256,
        tags=tuple(article.tag_names),
        accessed=accessed,
    )
