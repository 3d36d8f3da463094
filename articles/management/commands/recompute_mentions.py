"""python manage.py recompute_mentions [--all]: bring entity mentions up to date.

Without --all: the entities marked stale (an edit whose after-commit recomputation did not finish).
With --all: every article against the whole entity table (after a restore or a change of the
spelling-variant rules).
"""

from django.core.management.base import BaseCommand

from articles.indexing.entries import reindex_articles
from articles.names import mentions
from articles.names.models import Entity


class Command(BaseCommand):
    help = "Recompute which entities each article mentions (stale entities only, or --all)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every article against every entity")

    def handle(self, *args, all=False, **options):
        if all:
            n = mentions.refresh_all()
            from articles.models import Article

            reindex_articles(Article.objects.values_list("pk", flat=True))  # the index's mention facet
            self.stdout.write(f"mentions recomputed for {n} article(s)")
            return
        stale = list(Entity.objects.filter(mentions_stale=True).values_list("pk", flat=True))
        if not stale:
            self.stdout.write("no stale entities")
            return
        n = mentions.refresh_entities(stale)
        self.stdout.write(f"{len(stale)} stale entit{'y' if len(stale) == 1 else 'ies'}: {n} article(s) recomputed")
