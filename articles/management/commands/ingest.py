"""python manage.py ingest PATH [PATH ...]: add or refresh articles from .txt/.html/.html.gz files or folders.

Progress (files done of the total, counted first) goes to stderr; `-v 2` adds a line per file on stdout.
A file stored whose index write failed gets a line on stderr when its batch (INDEX_BATCH files) is indexed:
`created   name: queued for indexing (reason)`.
Ctrl-C stops after the file being ingested (each file is its own transaction, indexed on commit).
"""

from django.core.management.base import BaseCommand, CommandError

from articles import progress
from articles.ingest import FAILED, ingest_paths


class Command(BaseCommand):
    help = "Ingest article files (.txt, .html, .htm, .html.gz) or folders of them, recursively."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or folders")
        parser.add_argument("--quiet", action="store_true", help="print only failures and the counts")

    def handle(self, *args, paths, quiet=False, **options):
        verbose = int(options.get("verbosity", 1)) >= 2 and not quiet
        bar = progress.for_command(self, {**options, "quiet": quiet}, "ingest", None, "files")

        def show(outcome):
            if outcome.status == FAILED:
                bar.note(outcome.line(), self.stderr)
            elif verbose:
                bar.note(outcome.line(), self.stdout)
            bar.advance()

        def queued(outcome):  # stored, but its batch's index write failed
            bar.note(outcome.line(), self.stderr)

        with bar, progress.stop_on_ctrl_c(bar.note, "the file being ingested") as ctrl_c:
            report = ingest_paths(
                paths, on_outcome=show, on_total=bar.set_total, stop=lambda: ctrl_c.requested, on_queued=queued
            )
        self.stdout.write(report.summary())
        if report.not_done:
            raise CommandError(
                f"interrupted: {len(report.outcomes):,} of {len(report.outcomes) + report.not_done:,} files "
                f"done, {report.not_done:,} not read. Every file done is complete in the archive and the index; "
                "run the same command again to finish (files already in are reported unchanged).",
                returncode=130,
            )
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
