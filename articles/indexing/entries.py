"""An article's index entry: written from the database as it is now, one article or a whole run at once,
and fingerprinted so a check can see an edit the index did not get."""

from __future__ import annotations

import hashlib
import json

from articles import engine
from articles.models import Article

# Bump when the analyzer changes which terms a text is indexed as: every entry written before then shows
# as stale, so `check_index --repair` (or rebuild_index) re-indexes it. 2: text split at `*` and `?`.
ANALYSIS_VERSION = 2


def reindex_articles(ids) -> None:
    """Update the index entries of these articles (removing those no longer in the database)."""
    from haystack import connections

    ids = set(ids)
    if not ids:
        return
    backend = connections["default"].get_backend()
    ids = engine.defer_to_bulk(backend, ids)  # a rebuild is running: it indexes the others when it commits
    if not ids:
        return
    index = connections["default"].get_unified_index().get_index(Article)
    # Read the rows while holding the index's write lock: otherwise a process that read an article
    # before another process's edit or delete committed could write its older copy last (a stale entry,
    # or an orphan of a deleted article). Search servers (Solr, Elasticsearch) have no such lock.
    with engine.write_lock(backend):
        found = list(index.index_queryset().filter(pk__in=ids))
        if found:
            backend.update(index, found)
        for missing in ids - {a.pk for a in found}:
            backend.remove(f"articles.article.{missing}")


def bulk_session(*, replace: bool = False):
    """The default index's bulk session (one writer, one commit; reindex requests meanwhile are applied
    after it), or None where the engine has none (Solr, Elasticsearch): then haystack's own way."""
    backend = engine.get_backend()
    if not engine.supports_bulk_session(backend):
        return None
    return backend.bulk_session(catch_up=reindex_articles, replace=replace)


def content_hash(prepared: dict) -> str:
    """A fingerprint of every value indexing prepares (for an index's `content_hash` field), and of the
    analysis that turned them into terms."""
    values = {k: v for k, v in prepared.items() if k not in ("content_hash", "boost")}
    values["_analysis_version"] = ANALYSIS_VERSION
    blob = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
