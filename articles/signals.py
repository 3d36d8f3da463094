"""Keep the search index in step with the database, after the transaction commits.

Indexing on commit (not on save) means an article's credits and tags, saved after the article row,
are in the index too, and a rolled-back ingest leaves no trace in it. Each change also writes an outbox
row in its own transaction (articles/index_queue.py), so an index write that fails after the commit is
kept and retried, not lost.
"""

import contextlib

from django.db import transaction
from django.db.models import signals
from haystack import signals as haystack_signals

from articles import index_queue
from articles.models import Article, Credit, Person, Source, StanceCategory


def reindex_articles(ids) -> None:
    """Update the index entries of these articles (removing those no longer in the database)."""
    from haystack import connections

    ids = set(ids)
    if not ids:
        return
    backend = connections["default"].get_backend()
    defer = getattr(backend, "defer_to_bulk", None)
    if defer is not None:  # a rebuild is running: it indexes these when it commits
        ids = {int(i) for i in defer(ids)}
        if not ids:
            return
    index = connections["default"].get_unified_index().get_index(Article)
    # Read the rows while holding the index's write lock: otherwise a process that read an article
    # before another process's edit or delete committed could write its older copy last (a stale entry,
    # or an orphan of a deleted article). Search servers (Solr, Elasticsearch) have no such lock.
    lock = getattr(backend, "write_lock", contextlib.nullcontext)
    with lock():
        found = list(index.index_queryset().filter(pk__in=ids))
        if found:
            backend.update(index, found)
        for missing in ids - {a.pk for a in found}:
            backend.remove(f"articles.article.{missing}")


class PendingReindex:
    """One on-commit callback per transaction: the articles it touched, indexed after the commit.

    Each article's outbox row (articles/index_queue.py) is written once per transaction, when first
    touched, and again after a savepoint it was written in may have rolled back.
    """

    def __init__(self):
        self.recorded: dict[int, tuple] = {}  # article id -> savepoints open when its row was written
        self.done = False

    def record(self, ids, savepoints: tuple) -> None:
        new = [i for i in ids if i not in self.recorded or self.recorded[i] != savepoints[: len(self.recorded[i])]]
        if new:
            index_queue.record(new)
            self.recorded.update(dict.fromkeys(new, savepoints))

    def __call__(self):
        self.done = True
        index_queue.after_commit(self.recorded)


def _schedule(ids) -> None:
    ids = {int(i) for i in ids if i is not None}
    if not ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # autocommit: the change is committed already
        index_queue.record(ids)
        index_queue.after_commit(ids)
        return
    pending = next((f for _, f, _ in connection.run_on_commit if isinstance(f, PendingReindex) and not f.done), None)
    if pending is None:
        pending = PendingReindex()
        transaction.on_commit(pending)
    pending.record(ids, tuple(connection.savepoint_ids))


class ArticleSignalProcessor(haystack_signals.BaseSignalProcessor):
    def watched(self):
        """(signal, handler, sender) for everything whose change alters what an article indexes."""
        yield signals.post_save, self.on_article, Article
        yield signals.post_delete, self.on_article, Article
        yield signals.m2m_changed, self.on_tags, Article.tags.through
        yield signals.post_save, self.on_credit, Credit
        yield signals.post_delete, self.on_credit, Credit
        for model in (Source, Person, StanceCategory):
            yield signals.post_save, self.on_related, model
            yield signals.pre_delete, self.on_related, model

    def setup(self):
        for signal, handler, sender in self.watched():
            signal.connect(handler, sender=sender)

    def teardown(self):
        for signal, handler, sender in self.watched():
            signal.disconnect(handler, sender=sender)

    def on_article(self, sender, instance, **kwargs):
        _schedule([instance.pk])

    def on_tags(self, sender, instance, action, **kwargs):
        if action.startswith("post_") and isinstance(instance, Article):
            _schedule([instance.pk])

    def on_credit(self, sender, instance, **kwargs):
        _schedule([instance.article_id])

    def on_related(self, sender, instance, **kwargs):
        _schedule(instance.articles.values_list("pk", flat=True))
