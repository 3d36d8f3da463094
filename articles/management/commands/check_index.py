"""python manage.py check_index [--repair]: is the search index in step with the database?"""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from articles import engine, progress, rebuild_status
from articles.index_state import IndexUnavailable
from articles.indexing import outbox
from articles.indexing.check import check_index, repair_index


class Command(BaseCommand):
    help = (
        "Compare the database's articles with the search index: missing (not indexed), stale (indexed "
        "values differ from the database's) and orphaned (indexed, not in the database). Exits 1 on drift; "
        "--repair reindexes missing and stale articles, removes orphans, and checks again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Fix the drift found, then check again.")
        parser.add_argument("--using", default="default", help="Haystack connection (default: default).")
        parser.add_argument("--quiet", action="store_true", help="no progress; only the report")

    def rebuild(self, problem, using: str, options):
        """Rebuild a missing or damaged index from the database (running servers pick it up on their
        next request), then check again."""
        self.stdout.write(f"search index: {problem.reason}")
        self.stdout.write("Repairing: rebuilding the index from the database...")
        call_command("rebuild_index", interactive=False, verbosity=0, using=[using])
        outbox.process_queue()
        return self.compare(using, options)

    def compare(self, using: str, options):
        with progress.for_command(self, options, "check_index", None, "articles") as self.bar:
            return check_index(using, progress=self.bar)

    def write_report(self, report) -> None:
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(outbox.state().line())

    def handle(self, *args, repair=False, using="default", **options):
        if not engine.keeps_index(engine.get_backend(using)):
            self.stdout.write("This search engine keeps no index (it searches the database): nothing to check.")
            return
        running = rebuild_status.current_line(using)
        if running:  # the index compared below is the one from before it
            self.stdout.write(running)
        try:
            report = self.compare(using, options)
        except IndexUnavailable as exc:  # missing or damaged: one line, and --repair rebuilds
            report = self.rebuild(exc, using, options) if repair else None
            if report is None:
                raise CommandError(exc.reason, returncode=1) from None
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted: {self.bar.done:,} of {self.bar.total or 0:,} articles compared; nothing was changed.",
                returncode=130,
            ) from None
        self.write_report(report)
        if repair and not report.clean:
            self.stdout.write("Repairing...")
            with progress.for_command(self, options, "check_index --repair", None, "entries") as bar:
                with progress.stop_on_ctrl_c(bar.note, "the chunk being reindexed") as ctrl_c:
                    repaired = repair_index(report, using, progress=bar, stop=lambda: ctrl_c.requested, recheck=False)
            if repaired is None and ctrl_c.requested:
                raise CommandError(
                    f"interrupted: {bar.done:,} of {bar.total:,} entries repaired (each chunk is committed); "
                    "run check_index --repair again for the rest.",
                    returncode=130,
                )
            report = self.compare(using, options)
            self.write_report(report)
        if not report.clean:
            raise CommandError(
                "search index and database differ" + ("" if repair else " (run with --repair)"), returncode=1
            )
