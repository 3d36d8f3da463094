"""Overrides haystack's rebuild_index: without the empty index in between, and with progress.

This command replaces haystack's own `rebuild_index` because `articles` comes before `haystack` in
INSTALLED_APPS; it takes all of haystack's options, and adds `--quiet`.

haystack clears the index and then fills it, so for the minutes a large rebuild takes every search
finds nothing. With kzarchive's Whoosh backend the new index is written beside the old one in one bulk
session and replaces it in a single commit; searches use the old one until then. Other engines, and
`--workers`, run haystack's own way (clear, then update).

Progress goes to stderr and to the status file `index_status` reads (articles/rebuild_status.py);
Ctrl-C stops before the next batch and commits nothing.
"""

from django.core.management import call_command
from haystack.management.commands import rebuild_index

from articles.management.commands.update_index import IndexCommand, bulk_session


class Command(IndexCommand, rebuild_index.Command):
    help = (
        "Overrides haystack's rebuild_index: rebuilds the search index from the database; the new index "
        "replaces the old one in one commit."
    )

    def handle(self, **options):
        session = bulk_session(options, replace=True)
        if session is None:  # another engine: haystack's clear, then update (clear_index has no --quiet)
            skip = {"batchsize", "workers", "max_retries", "quiet"}
            call_command("clear_index", **{key: value for key, value in options.items() if key not in skip})
            call_command("update_index", **{key: value for key, value in options.items() if key != "interactive"})
            return None
        if options.get("interactive", True):
            answer = input("This replaces the whole search index with one built from the database. Continue? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                self.stdout.write("No action taken.")
                return None
        with self.tracked("rebuild", options, session):
            call_command("update_index", **{key: value for key, value in options.items() if key != "interactive"})
        return None
