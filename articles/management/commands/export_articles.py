"""python manage.py export_articles --format jsonl|csv: one record per article on stdout."""

from django.core.management.base import BaseCommand

from articles.export import export_queryset, write_csv, write_jsonl


class Command(BaseCommand):
    help = "Write every article (metadata, body, provenance) to stdout as JSON Lines or CSV, oldest first."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")

    def handle(self, *args, format="jsonl", **options):
        writer = write_jsonl if format == "jsonl" else write_csv
        writer(self.stdout, export_queryset().iterator(chunk_size=500))
