"""python manage.py export_articles --format csv|jsonl|ris|bib|csl.json [--q … --outlet … …]: a result set on stdout.

The same code as /search/export (articles/result_export.py): every article the search matches, in its
order, with the header that says how to reproduce it. Without a query or filters: every article, oldest
first. Progress goes to stderr (never into the file); Ctrl-C leaves an incomplete file and says so.
"""

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.urls import reverse

from articles import progress
from articles.forms import BadParameter, parse_params
from articles.query_links import search_query
from articles.result_export import EXPORT_FORMATS, ResultExport, export_header
from articles.search import FACETS, SORTS, matching_ids


class Command(BaseCommand):
    help = "Write the articles a search matches (all of them) to stdout as CSV, JSON Lines, RIS, BibLaTeX or CSL-JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=list(EXPORT_FORMATS), default="jsonl")
        parser.add_argument("--q", default="", help="query, in the search box's language")
        for name in FACETS:
            parser.add_argument(f"--{name}", action="append", default=[], help=f"{name} filter (repeatable)")
        parser.add_argument("--from", dest="date_from", default="", help="2022, 2022-01 or 2022-01-06")
        parser.add_argument("--to", dest="date_to", default="", help="2022, 2022-01 or 2022-01-06")
        parser.add_argument("--sort", choices=SORTS, default="oldest")
        parser.add_argument("--bom", action="store_true", help="start CSV with a UTF-8 byte order mark (Excel)")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the archive is served, for permalinks"
        )

    def handle(self, *args, **options):
        query = QueryDict(mutable=True)
        query.update(
            {"q": options["q"], "from": options["date_from"], "to": options["date_to"], "sort": options["sort"]}
        )
        for name in FACETS:
            query.setlist(name, options[name])
        try:
            params = parse_params(query)
            matches = matching_ids(params)
        except BadParameter as exc:  # IncompleteSearch too: an export holds every match or is refused
            raise CommandError(str(exc)) from None
        site = options["base_url"].rstrip("/")
        header = export_header(matches, site + reverse("articles:search") + "?" + search_query(params).urlencode())
        if header["notice"]:
            self.stderr.write(header["notice"])
        stream = ResultExport(EXPORT_FORMATS[options["format"]], matches, header, site=site, bom=options["bom"])
        try:
            with progress.for_command(self, options, "export_articles", matches.count, "articles") as bar:
                for chunk in stream:
                    self.stdout.write(chunk, ending="")
                    bar.advance(stream.written - bar.done)
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted: {stream.written:,} of {matches.count:,} articles written; the output is incomplete.",
                returncode=130,
            ) from None
