"""python manage.py backup_archive PATH: the whole archive in one file (see articles/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles import progress
from articles.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write the whole archive (outlets, people, stance scheme, tags, articles with their original bytes, "
        "credits, provenance, timestamps) to one zip file with a manifest of counts and SHA-256 checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to write, e.g. kzarchive-2026-01-31.zip (replaced if it exists).")
        parser.add_argument("--quiet", action="store_true", help="no progress; only errors and the final counts")

    def handle(self, *args, path, **options):
        target = Path(path)
        if target.is_dir():
            raise CommandError(f"{target} is a folder; give a file name")
        if not target.parent.exists():
            raise CommandError(f"folder {target.parent} does not exist")
        try:
            with progress.for_command(self, options, "backup_archive", None, "rows") as bar:
                manifest = write_backup(target, progress=bar)
        except (BackupError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}")
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted: {bar.done:,} of {bar.total or 0:,} rows read; no backup was written "
                f"({target} is as it was).",
                returncode=130,
            ) from None
        counts = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in manifest["counts"].items())
        self.stdout.write(f"Wrote {target} ({target.stat().st_size:,} bytes): {counts}.")
