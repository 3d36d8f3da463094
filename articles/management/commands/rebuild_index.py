"""haystack's rebuild_index, without the empty index in between.

haystack clears the index and then fills it, so for the minutes a large rebuild takes every search
finds nothing. With kzarchive's Whoosh backend the new index is written beside the old one in one bulk
session and replaces it in a single commit; searches use the old one until then. Other engines, and
`--workers`, run haystack's own way (clear, then update).
"""

from django.core.management import call_command
from haystack.management.commands import rebuild_index

from articles.management.commands.update_index import bulk_session


class Command(rebuild_index.Command):
    help = "Rebuilds the search index from the database; the new index replaces the old one in one commit."

    def handle(self, **options):
        session = bulk_session(options, replace=True)
        if session is None:
            return super().handle(**options)
        if options.get("interactive", True):
            answer = input("This replaces the whole search index with one built from the database. Continue? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                self.stdout.write("No action taken.")
                return None
        update_options = {key: value for key, value in options.items() if key != "interactive"}
        with session:
            call_command("update_index", **update_options)
        return None
