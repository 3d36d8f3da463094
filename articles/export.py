"""One record per article: what researchers take away (exports) and what the API returns."""

from __future__ import annotations

import io
import json

from articles.models import Article

FIELDS = [
    "id",
    "title",
    "outlet",
    "authors",
    "credits",
    "published",
    "date_precision",
    "published_at",
    "published_time_zone",
    "date_note",
    "stance",
    "stance_rationale",
    "url",
    "language",
    "tags",
    "word_count",
    "body",
    "block_kinds",
    "references",
    "source_file",
    "sha256",
    "ingested_at",
    "updated_at",
    "field_sources",
]


def article_record(article: Article) -> dict:
    return {
        "id": article.pk,
        "title": article.title,
        "outlet": article.source.name if article.source_id else None,
        "authors": article.author_names,
        "credits": [{"name": c.person.name, "role": c.role} for c in article.credits.all()],
        "published": article.published_iso,
        "date_precision": article.date_precision,
        "published_at": article.published_at,
        "published_time_zone": article.published_time_zone or None,
        "date_note": article.date_note,
        "stance": article.stance.name if article.stance_id else None,
        "stance_rationale": article.stance_rationale,
        "url": article.url or None,
        "language": article.language or None,
        "tags": article.tag_names,
        "word_count": article.word_count,
        "body": article.body,
        "block_kinds": [kind for kind, _ in article.blocks],
        "references": article.references,
        "source_file": article.source_file,
        "sha256": article.sha256,
        "ingested_at": article.ingested_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "field_sources": article.field_sources,
    }


def export_queryset():
    return Article.objects.for_listing().by_date(newest_first=False)


def write_jsonl(out, articles) -> None:
    for article in articles:
        out.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")


def export_string(fmt: str = "jsonl", articles=None) -> str:
    """Every article as JSON Lines, straight from the database (a fingerprint of its state, for tests and
    backups). Result sets, in every format, are written by result_export.py."""
    if fmt != "jsonl":
        raise ValueError("export_string writes JSON Lines; see result_export.py for other formats")
    buffer = io.StringIO()
    write_jsonl(buffer, export_queryset() if articles is None else articles)
    return buffer.getvalue()
