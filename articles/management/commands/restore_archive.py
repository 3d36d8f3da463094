"""python manage.py restore_archive PATH [--replace]: restore a backup_archive file and rebuild the index."""

from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, path, replace=False, **options):
        try:
            manifest = restore_backup(path, replace=replace)
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}")
        counts = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in manifest["counts"].items())
        self.stdout.write(
            f"Restored {path} (made {manifest['created_at']}): {counts}; every SHA-256 verified; index rebuilt."
        )
