"""haystack's rebuild_index, without the empty index in between.

haystack clears the index and then fills it, so for the minutes a large rebuild takes every search
finds nothing. With kzarchive's Whoosh backend the new index is written beside the old one in one bulk
session and replaces it in a single commit; searches use the old one until then. Other engines, and
`--workers`, run haystack's own way (clear, then update).
"""

from django.core.management import call_command
from haystack import connections
from haystack.management.commands import rebuild_index

from articles.signals import reindex_articles


class Command(rebuild_index.Command):
    help = "Rebuilds the search index from the database; the new index replaces the old one in one commit."

    def handle(self, **options):
        using = options.get("using") or list(connections.connections_info)
        backend = connections["default"].get_backend()
        if options.get("workers") or list(using) != ["default"] or not hasattr(backend, "bulk_session"):
            return super().handle(**options)
        if options.get("interactive", True):
            answer = input("This replaces the whole search index with one built from the database. Continue? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                self.stdout.write("No action taken.")
                return None
        update_options = {key: value for key, value in options.items() if key != "interactive"}
        with backend.bulk_session(catch_up=reindex_articles, replace=True):
            call_command("update_index", **update_options)
        return None
