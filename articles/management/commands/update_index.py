"""haystack's update_index (and so rebuild_index), with one bulk writer for the whole run.

With kzarchive's Whoosh backend the articles are analysed by worker processes and committed once
(`ArchiveWhooshBackend.bulk_session`); reindex requests from the site meanwhile are queued and applied
at the end instead of waiting behind the lock. Other engines, and `--workers`, run haystack's own way.
"""

from contextlib import nullcontext

from haystack import connections
from haystack.management.commands import update_index

from articles.signals import reindex_articles


def bulk_session(options: dict, *, replace: bool = False):
    """The index's bulk session for this command run, or None where haystack's own way applies:
    `--workers`, other connections than "default", engines without one (Solr, Elasticsearch)."""
    using = list(options.get("using") or connections.connections_info)
    backend = connections["default"].get_backend()
    if options.get("workers") or using != ["default"] or not hasattr(backend, "bulk_session"):
        return None
    return backend.bulk_session(catch_up=reindex_articles, replace=replace)


class Command(update_index.Command):
    def handle(self, **options):
        with bulk_session(options) or nullcontext():
            return super().handle(**options)
