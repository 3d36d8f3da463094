"""python manage.py ingest PATH [PATH ...]: add or refresh articles from .txt/.html/.html.gz files or folders."""

from django.core.management.base import BaseCommand, CommandError

from articles.ingest import FAILED, ingest_paths


class Command(BaseCommand):
    help = "Ingest article files (.txt, .html, .htm, .html.gz) or folders of them, recursively."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or folders")
        parser.add_argument("--quiet", action="store_true", help="print only failures and the counts")

    def handle(self, *args, paths, quiet=False, **options):
        def show(outcome):
            if outcome.status == FAILED or outcome.index_error:
                self.stderr.write(outcome.line())
            elif not quiet:
                self.stdout.write(outcome.line())

        report = ingest_paths(paths, on_outcome=show)
        self.stdout.write(report.summary())
        problems = []
        if report.failed:
            problems.append(f"{report.failed} file(s) failed; the others were ingested.")
        if report.queued:
            problems.append(
                f"{report.queued} file(s) are stored but not yet searchable (the index could not be written); "
                "run `manage.py process_index_queue` once it is writable."
            )
        if problems:
            raise CommandError(" ".join(problems))
