"""The <meta> tags on an article page that reference managers read (Zotero's "Embedded Metadata").

Highwire Press `citation_*` tags first (Zotero prefers them), Dublin Core and OpenGraph as fallbacks for
other readers. The item type is stated with `z:itemType`, which Zotero's RDF reader ranks above every
guess; no `citation_journal_title` (it would make Zotero file a news article as a journal article).
`og:site_name` is the outlet: Zotero takes it as the publication title. Translators are given as
`z:translators`; Zotero keeps them only when no `citation_author` is present (its Highwire reader
replaces the creator list), so RIS and unAPI remain the complete route for translated articles.
"""

from __future__ import annotations

from articles.citations.item import CitationItem


def meta_tags(item: CitationItem) -> list[tuple[str, str, str]]:
    """[(attribute, key, content)]: attribute is "name" or "property" (OpenGraph)."""
    date = item.date.iso()
    tags = [("name", "z:itemType", item.type.zotero), ("name", "citation_title", item.title)]
    tags += [("name", "citation_author", n.full) for n in item.authors]
    tags += [("name", "citation_date", date)] if date else []
    tags += [("name", "citation_language", item.language)] if item.language else []
    tags += [("name", "citation_public_url", item.url)]
    tags += [("name", "citation_keywords", "; ".join(item.tags))] if item.tags else []
    tags += [("name", "z:translators", n.inverted) for n in item.translators]
    tags += [("name", "DC.title", item.title)]
    tags += [("name", "DC.creator", n.inverted) for n in item.authors]
    tags += [("name", "DC.date", date)] if date else []
    tags += [("name", "DC.language", item.language)] if item.language else []
    tags += [("name", "DC.source", item.outlet)] if item.outlet else []
    tags += [("name", "DC.identifier", item.permalink)]
    tags += [("property", "og:type", "article"), ("property", "og:title", item.title)]
    tags += [("property", "og:url", item.permalink)]
    tags += [("property", "og:site_name", item.outlet)] if item.outlet else []
    tags += [("property", "article:published_time", date)] if date else []
    tags += [("property", "article:tag", t) for t in item.tags]
    return tags
