"""Model signals that change what an article's index entry holds, connected to the index's outbox.

Indexing on commit (not on save) means an article's credits and tags, saved after the article row,
are in the index too, and a rolled-back ingest leaves no trace in it. Each change writes an outbox row in
its own transaction and is indexed after the commit (articles/indexing/outbox.py), so an index write that
fails after the commit is kept and retried, not lost.
"""

from django.db.models import signals
from haystack import signals as haystack_signals

from articles.indexing.outbox import schedule
from articles.models import Article, Credit, Person, Source, StanceCategory


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
        schedule([instance.pk])

    def on_tags(self, sender, instance, action, **kwargs):
        if action.startswith("post_") and isinstance(instance, Article):
            schedule([instance.pk])

    def on_credit(self, sender, instance, **kwargs):
        schedule([instance.article_id])

    def on_related(self, sender, instance, **kwargs):
        schedule(instance.articles.values_list("pk", flat=True))
