"""One record per article: what researchers take away (exports) and what the API returns."""

from __future__ import annotations

import json

from articles.models import Article

# How each field is read from an article (loaded with Article.objects.for_listing()), in the records' order.
VALUES = {
    "id": lambda a: a.pk,
    "title": lambda a: a.title,
    "outlet": lambda a: a.source.name if a.source_id else None,
    "authors": lambda a: a.author_names,
    "credits": lambda a: [{"name": c.person.name, "role": c.role} for c in a.credit_list],
    "published": lambda a: a.published_iso,
    "date_precision": lambda a: a.date_precision,
    "published_at": lambda a: a.published_at,
    "published_time_zone": lambda a: a.published_time_zone or None,
    "date_note": lambda a: a.date_note,
    "stance": lambda a: a.stance.name if a.stance_id else None,
    "stance_rationale": lambda a: a.stance_rationale,
    "url": lambda a: a.url or None,
    "language": lambda a: a.language or None,
    "tags": lambda a: a.tag_names,
    "word_count": lambda a: a.word_count,
    "body": lambda a: a.body,
    "block_kinds": lambda a: [kind for kind, _ in a.blocks],
    "references": lambda a: a.references,
    "source_file": lambda a: a.source_file,
    "sha256": lambda a: a.sha256,
    "ingested_at": lambda a: a.ingested_at.isoformat(),
    "updated_at": lambda a: a.updated_at.isoformat(),
    "field_sources": lambda a: a.field_sources,
}
FIELDS = list(VALUES)  # every record's fields, in this order (the columns of a CSV export)


def article_record(article: Article, fields=FIELDS) -> dict:
    """The one way an article becomes a record: every field (exports, /api/articles/<id>) or some (a search hit)."""
    return {name: VALUES[name](article) for name in fields}


def export_string(fmt: str = "jsonl") -> str:
    """Every article as JSON Lines, straight from the database (a fingerprint of its state, for tests and
    backups). Result sets, in every format, are written by result_export.py."""
    if fmt != "jsonl":
        raise ValueError("export_string writes JSON Lines; see result_export.py for other formats")
    articles = Article.objects.for_listing().by_date(newest_first=False)
    return "".join(json.dumps(article_record(article), ensure_ascii=False) + "\n" for article in articles)
