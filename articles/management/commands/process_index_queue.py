"""python manage.py process_index_queue: apply the index updates still waiting in the outbox."""

from django.core.management.base import BaseCommand, CommandError

from articles.indexing import outbox


class Command(BaseCommand):
    help = (
        "Apply pending index updates (saves and deletes whose index write failed after the database commit, "
        "e.g. while the index folder was read-only). Run it from cron or after fixing the index; exits 1 "
        "while updates still fail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Apply at most this many articles.")

    def handle(self, *args, limit=None, **options):
        before = outbox.state()
        if not before.pending:
            self.stdout.write("no index updates pending.")
            return
        result = outbox.process_queue(limit=limit)
        self.stdout.write(f"indexed {len(result.indexed)} article(s), {len(result.failed)} failed.")
        self.stdout.write(outbox.state().line())
        if result.failed:
            first = min(result.failed)
            raise CommandError(f"index updates failed (article {first}: {result.failed[first]}); they stay queued.")
