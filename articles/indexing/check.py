"""Does the search index say what the database says? Find and repair drift between the two.

Three kinds of drift:
- missing: an article in the database has no index entry (an index update was lost);
- stale: its entry differs from what indexing the article now would write (an edit was not indexed);
- orphaned: an index entry names an article the database no longer has (a delete was not indexed).

"What indexing would write" is `ArticleIndex.full_prepare` passed through the backend's own value
conversion, compared field by field with what the index stores. On Whoosh the full text (`text`) is not
stored, so an edit that changes only the body is seen through a `content_hash` field when the index
defines one (articles/indexing/entries.py); every stored field (title, authors, outlet, stance, year, tags,
dates, sort keys) is compared either way.

Whoosh is read directly (all stored fields, one pass); other haystack backends (Solr, Elasticsearch) are
read through SearchQuerySet and compared on ids and `content_hash` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from haystack.constants import DJANGO_CT, DJANGO_ID, ID

from articles import engine
from articles.indexing import outbox
from articles.indexing.entries import content_hash, reindex_articles

ARTICLE_CT = "articles.article"
CHUNK = 500


@dataclass
class IndexReport:
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)  # index ids ("articles.article.42"), not in the database
    in_database: int = 0
    in_index: int = 0
    differences: dict[int, list[str]] = field(default_factory=dict)  # stale id -> fields that differ

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphaned)

    def lines(self) -> list[str]:
        out = [f"{self.in_database} articles in the database, {self.in_index} entries in the index."]
        out.append(f"missing: {len(self.missing)}, stale: {len(self.stale)}, orphaned: {len(self.orphaned)}")
        if self.missing:
            out.append("missing ids: " + " ".join(str(i) for i in self.missing))
        if self.stale:
            out.append("stale ids: " + " ".join(f"{i} ({', '.join(self.differences.get(i, []))})" for i in self.stale))
        if self.orphaned:
            out.append("orphaned entries: " + " ".join(self.orphaned))
        out.append("index is in step with the database." if self.clean else "index has drifted from the database.")
        return out


def _connection(using: str = "default"):
    from haystack import connections

    from articles.models import Article

    backend = connections[using].get_backend()
    index = connections[using].get_unified_index().get_index(Article)
    return backend, index


def _article_id(identifier: str) -> int | None:
    ct, _, pk = identifier.rpartition(".")
    if ct != ARTICLE_CT:
        return None
    try:
        return int(pk)
    except ValueError:
        return None


def _indexed_whoosh(backend) -> dict[str, dict]:
    """Every stored document of the index, by haystack id ("articles.article.42"), with every segment's
    terms read through as well: a file that cannot be read raises IndexDamaged naming its segment (one
    line for the operator, not the decoder's traceback); no index at all raises IndexMissing.

    The generation is opened whole (articles/whoosh/snapshot.py), so commits by other processes meanwhile
    cannot delete what is being read.
    """
    from articles.index_state import IndexDamaged, IndexUnavailable
    from articles.whoosh.snapshot import open_searcher

    if not backend.setup_complete:
        backend.setup()
    searcher, _ = open_searcher(backend.index, backend.path)
    try:
        docs = {}
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            # An index without documents has an EmptyReader: no segment to name.
            seg = reader.segment() if hasattr(reader, "segment") else None
            segment = seg.segment_id() if seg is not None else "?"
            try:
                for fields in reader.all_stored_fields():
                    if ID in fields:
                        docs[fields[ID]] = fields
                for _ in reader.all_terms():
                    pass
            except Exception as exc:  # noqa: BLE001 - whatever the decoder trips on, the file is damaged
                raise IndexDamaged(
                    f"the search index is damaged: segment {segment} cannot be read "
                    f"({type(exc).__name__}); {IndexUnavailable.REPAIR}"
                ) from exc
        return docs
    finally:
        searcher.close()


def _indexed_generic(using: str) -> dict[str, dict]:
    from haystack.query import SearchQuerySet

    return {
        f"{r.app_label}.{r.model_name}.{r.pk}": {"content_hash": getattr(r, "content_hash", None)}
        for r in SearchQuerySet(using=using).all()
    }


def _expected_whoosh(backend, index, article) -> dict:
    """What `backend.update` would store for this article, in the index's own representation."""
    prepared = index.full_prepare(article)
    prepared.pop("boost", None)
    stored = {name for name, f in backend.schema.items() if f.stored}
    return {k: backend._from_python(v) for k, v in prepared.items() if k in stored}


def _differences(expected: dict, actual: dict) -> list[str]:
    ignore = {ID, DJANGO_CT, DJANGO_ID}
    names = (set(expected) | set(actual)) - ignore
    return sorted(n for n in names if expected.get(n) != actual.get(n))


def check_index(using: str = "default", progress=None) -> IndexReport:
    """Compare the database's articles with the index's entries; nothing is changed. `progress`
    (articles.progress.Progress) hears the number of articles, then each chunk compared."""
    from articles.models import Article

    backend, index = _connection(using)
    whoosh = engine.reads_stored_fields(backend)
    indexed = _indexed_whoosh(backend) if whoosh else _indexed_generic(using)
    report = IndexReport(in_index=len(indexed))
    has_hash = "content_hash" in index.fields

    seen: set[str] = set()
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    report.in_database = len(ids)
    if progress is not None:
        progress.set_total(len(ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for article in index.index_queryset(using=using).filter(pk__in=chunk).order_by("pk"):
            key = f"{ARTICLE_CT}.{article.pk}"
            seen.add(key)
            actual = indexed.get(key)
            if actual is None:
                report.missing.append(article.pk)
                continue
            if whoosh:
                diff = _differences(_expected_whoosh(backend, index, article), actual)
            elif has_hash:
                diff = (
                    [] if actual.get("content_hash") == content_hash(index.full_prepare(article)) else ["content_hash"]
                )
            else:
                diff = []
            if diff:
                report.stale.append(article.pk)
                report.differences[article.pk] = diff
        if progress is not None:
            progress.advance(len(chunk))
    report.orphaned = sorted(set(indexed) - seen, key=lambda k: (_article_id(k) is None, _article_id(k) or 0, k))
    report.missing.sort()
    report.stale.sort()
    return report


def repair_index(
    report: IndexReport | None = None, using: str = "default", *, progress=None, stop=None, recheck: bool = True
) -> IndexReport | None:
    """Reindex missing and stale articles, remove orphaned entries; return a fresh check (None without
    `recheck`: the caller checks).

    Articles go through `reindex_articles` (articles/indexing/entries.py), the same path as every edit: it
    reads each article from the database as it is now, and removes the entry of one deleted since the check. Each
    chunk is committed as it goes; `stop()` is asked between chunks (what is done stays done), and
    `progress` hears the number of entries to repair, then each chunk.
    """
    outbox.process_queue()  # what is queued first, so its rows are settled too
    report = report or check_index(using)
    backend, _ = _connection(using)
    todo = report.missing + report.stale + [pk for pk in map(_article_id, report.orphaned) if pk is not None]
    others = [identifier for identifier in report.orphaned if _article_id(identifier) is None]
    if progress is not None:
        progress.set_total(len(todo) + len(others))
    for start in range(0, len(todo), CHUNK):
        if stop is not None and stop():
            return None
        reindex_articles(todo[start : start + CHUNK])
        if progress is not None:
            progress.advance(len(todo[start : start + CHUNK]))
    for identifier in others:  # not an article's entry at all
        backend.remove(identifier)
        if progress is not None:
            progress.advance(1)
    return check_index(using) if recheck else None
