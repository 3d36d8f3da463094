"""haystack's update_index (and so rebuild_index), with one bulk writer for the whole run.

With kzarchive's Whoosh backend the articles are analysed by worker processes and committed once
(`ArchiveWhooshBackend.bulk_session`); reindex requests from the site meanwhile are queued and applied
at the end instead of waiting behind the lock. Other engines, and `--workers`, run haystack's own way.
"""

from contextlib import ExitStack

from haystack import connections
from haystack.management.commands import update_index

from articles.signals import reindex_articles


class Command(update_index.Command):
    def handle(self, **options):
        with ExitStack() as stack:
            if not options.get("workers"):
                for alias in options.get("using") or connections.connections_info:
                    session = getattr(connections[alias].get_backend(), "bulk_session", None)
                    if session is not None and alias == "default":
                        stack.enter_context(session(catch_up=reindex_articles))
            return super().handle(**options)
