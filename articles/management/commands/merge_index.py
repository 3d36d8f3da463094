"""python manage.py merge_index [--all]: the index merges that single saves leave out."""

import time

from django.core.management.base import BaseCommand, CommandError

from articles import engine


class Command(BaseCommand):
    help = (
        "Merge the search index's segments of similar size that background merges leave (they rewrite at "
        "most 1,000 documents, so larger segments accumulate). Run it from cron, e.g. nightly. "
        "--all merges everything into one segment (slower; for after large deletions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Merge every segment into one.")

    def handle(self, *args, all=False, **options):
        backend = engine.get_backend()
        if not engine.merges_segments(backend):
            raise CommandError("merge_index is for the embedded Whoosh index; a search server merges by itself.")
        started = time.perf_counter()
        before, after = backend.merge_segments(everything=all)
        self.stdout.write(f"{before} segment(s) before, {after} after ({time.perf_counter() - started:.1f} s).")
