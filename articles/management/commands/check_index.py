"""python manage.py check_index [--repair]: is the search index in step with the database?"""

from django.core.management.base import BaseCommand, CommandError

from articles import index_queue, rebuild_status
from articles.index_check import check_index, repair_index


class Command(BaseCommand):
    help = (
        "Compare the database's articles with the search index: missing (not indexed), stale (indexed "
        "values differ from the database's) and orphaned (indexed, not in the database). Exits 1 on drift; "
        "--repair reindexes missing and stale articles, removes orphans, and checks again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Fix the drift found, then check again.")
        parser.add_argument("--using", default="default", help="Haystack connection (default: default).")

    def handle(self, *args, repair=False, using="default", **options):
        running = rebuild_status.current_line(using)
        if running:  # the index compared below is the one from before it
            self.stdout.write(running)
        report = check_index(using)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(index_queue.state().line())
        if repair and not report.clean:
            self.stdout.write("Repairing...")
            report = repair_index(report, using)
            for line in report.lines():
                self.stdout.write(line)
            self.stdout.write(index_queue.state().line())
        if not report.clean:
            raise CommandError(
                "search index and database differ" + ("" if repair else " (run with --repair)"), returncode=1
            )
