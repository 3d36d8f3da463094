"""python manage.py index_status: is a rebuild (or update_index) running on the search index, how far is it?"""

from django.core.management.base import BaseCommand

from articles import rebuild_status


class Command(BaseCommand):
    help = (
        "Report a rebuild_index or update_index running in another process: articles done of the total and "
        "about how long is left; or that one was interrupted (its process is gone); or that none is running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--using", default="default", help="Haystack connection (default: default).")

    def handle(self, *args, using="default", **options):
        self.stdout.write(rebuild_status.current_line(using) or "no rebuild running.")
