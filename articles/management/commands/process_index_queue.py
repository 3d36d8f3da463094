"""python manage.py process_index_queue: apply the index updates still waiting in the outbox."""

from django.core.management.base import BaseCommand, CommandError

from articles import index_queue


class Command(BaseCommand):
    help = (
        "Apply pending index updates (saves and deletes whose index write failed after the database commit, "
        "e.g. while the index folder was read-only). Run it from cron or after fixing the index; exits 1 "
        "while updates still fail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Apply at most this many articles.")

    def handle(self, *args, limit=None, **options):
        before = index_queue.state()
        if not before.pending:
            self.stdout.write("no index updates pending.")
            return
        result = index_queue.process_queue(limit=limit)
        self.stdout.write(f"indexed {len(result.indexed)} article(s), {len(result.failed)} failed.")
        self.stdout.write(index_queue.state().line())
        if result.failed:
            first = min(result.failed)
            raise CommandError(f"index updates failed (article {first}: {result.failed[first]}); they stay queued.")
