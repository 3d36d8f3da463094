"""python manage.py restore_archive PATH [--replace]: restore a backup_archive file and rebuild the index."""

from django.core.management.base import BaseCommand, CommandError

from articles import progress
from articles.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_archive into an empty archive (--replace deletes the current "
        "archive first), verifying every checksum, then rebuild and check the search index. "
        "Nothing is changed if any check fails. Run `manage.py migrate` first on a fresh database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by backup_archive.")
        parser.add_argument(
            "--replace", action="store_true", help="Delete every article, outlet, person, stance and tag first."
        )
        parser.add_argument("--quiet", action="store_true", help="no progress; only errors and the final counts")

    def handle(self, *args, path, replace=False, **options):
        bar = progress.for_command(self, options, "restore_archive", None, "rows")
        index_stderr = None if bar.quiet else self.stderr._out
        try:
            with bar:
                manifest = restore_backup(path, replace=replace, progress=bar, index_stderr=index_stderr)
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}")
        except (KeyboardInterrupt, CommandError) as exc:
            if isinstance(exc, CommandError) and exc.returncode != 130:
                raise
            if bar.total is None or bar.done < bar.total:  # still loading rows: one transaction
                raise CommandError(
                    f"interrupted: {bar.done:,} of {bar.total or 0:,} rows read; nothing was restored, "
                    "the archive is as it was.",
                    returncode=130,
                ) from None
            raise CommandError(
                "interrupted while rebuilding the search index: the archive is restored (every SHA-256 "
                "verified) but the index is the one from before; run rebuild_index.",
                returncode=130,
            ) from None
        counts = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in manifest["counts"].items())
        self.stdout.write(
            f"Restored {path} (made {manifest['created_at']}): {counts}; every SHA-256 verified; index rebuilt."
        )
