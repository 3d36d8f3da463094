"""Whole result sets, streamed: every article a search matches, in the search's order, in five formats.

`search.matching_ids` gives all matches (not a page); articles are read from the database in chunks of
`CHUNK` ids, so memory stays flat however many match. Every file starts with where it came from (query,
filters, sort, time, archive version, count, a URL that reruns it), in the form each format allows:

- csv: `HEADER_ROWS` rows "# key, value" before the column names (`pandas.read_csv(f, skiprows=10)`);
  cells that a spreadsheet would run as a formula are neutralised (see `spreadsheet_safe`).
- jsonl: a first line `{"kzarchive_export": {...}}`, then one record per line.
- ris: the RIS header lines ("Provider:", "Database:", "Content:") that Zotero and rispy skip.
- bib: an `@comment{...}` block.
- csl.json: a first item of type `dataset` describing the export itself (CSL-JSON has no comments).

Should an article be deleted while a file streams, it is missing from the file and a last line (csv,
jsonl, ris, bib) or item (csl.json) says which ids are missing: the count in the header is never
silently wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils import timezone

from articles.citations import biblatex, csl, ris
from articles.citations.item import citation_item
from articles.export import FIELDS, article_record
from articles.models import Article
from articles.search import Matches, SearchParams, unknown_filter_values

CHUNK = 500
HEADER_ROWS = 10  # export_header's keys, a "# key, value" row each


@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    extension: str
    needs_body: bool


EXPORT_FORMATS = {
    f.name: f
    for f in (
        ExportFormat("csv", "text/csv; charset=utf-8", "csv", True),
        ExportFormat("jsonl", "application/x-ndjson; charset=utf-8", "jsonl", True),
        ExportFormat("ris", ris.CONTENT_TYPE, "ris", False),
        ExportFormat("bib", biblatex.CONTENT_TYPE, "bib", False),
        ExportFormat("csl.json", csl.CONTENT_TYPE, "csl.json", False),
    )
}


def archive_version() -> str:
    """The archive's state when the export ran: how many articles, and when the last one changed."""
    state = Article.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    last = state["last"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if state["last"] else "never"
    return f"{state['n']} articles, last changed {last}"


def filters_of(params: SearchParams) -> dict:
    filters = params.filters()
    if params.date_from:
        filters["from"] = params.date_from.isoformat()
    if params.date_to:
        filters["to"] = params.date_to.isoformat()
    return filters


def export_header(matches: Matches, reproduce: str) -> dict:
    params = matches.params
    # A filter value no article has (a typo) exports an empty file: the header says why.
    notice = " ".join([matches.message, *(u.notice for u in unknown_filter_values(params))]).strip()
    if not params.q.strip() and not filters_of(params):
        total = Article.objects.count()
        if total != matches.count:  # browsing everything must list everything: say so if the index disagrees
            notice = (
                f"{notice} The search index lists {matches.count} of the {total} articles in the database; "
                "run `manage.py check_index --repair`."
            ).strip()
    return {
        "archive": "kzarchive",
        "archive_version": archive_version(),
        "exported_at": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "query": params.q,
        "query_searched": matches.query_used,
        "filters": filters_of(params),
        "sort": params.effective_sort,
        "count": matches.count,
        "notice": notice,
        "reproduce": reproduce,
    }


def articles_in_order(ids: list[int], *, with_body: bool, missing: list[int]) -> Iterator[Article]:
    """The articles of `ids`, in that order, read CHUNK at a time; ids no longer in the database go to `missing`."""
    deferred = ("raw_bytes", "raw_text") if with_body else ("raw_bytes", "raw_text", "body")
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = Article.objects.for_listing().defer(*deferred).in_bulk(chunk)
        for pk in chunk:
            article = found.get(pk)
            if article is None:
                missing.append(pk)
            else:
                yield article


# --- CSV --------------------------------------------------------------------------------------------------
# OWASP "CSV Injection": a cell starting with one of these is run as a formula by spreadsheet software.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_row(record: dict) -> list:
    """A record as CSV cells: lists joined with "; " (authors, tags), structures as JSON."""
    row = dict(record)
    row["authors"] = "; ".join(row["authors"])
    row["tags"] = "; ".join(row["tags"])
    for key in ("credits", "block_kinds", "references", "field_sources"):
        row[key] = json.dumps(row[key], ensure_ascii=False)
    return [spreadsheet_safe(row[name]) for name in FIELDS]


def csv_text(rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _one_line(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split())


# --- the stream ----------------------------------------------------------------------------------------------
@dataclass
class ResultExport:
    """Iterate to get the file as text chunks (one per CHUNK articles)."""

    fmt: ExportFormat
    matches: Matches
    header: dict
    site: str  # scheme://host, for permalinks
    bom: bool = False

    def __post_init__(self):
        self.missing: list[int] = []
        self.written = 0  # articles rendered so far (for progress)
        self.accessed = timezone.localdate()

    @property
    def filename(self) -> str:
        stamp = self.header["exported_at"].replace(":", "").replace("-", "")
        return f"kzarchive-export-{stamp}.{self.fmt.extension}"

    def __iter__(self) -> Iterator[str]:
        write = getattr(self, "_" + self.fmt.name.replace(".", "_"))
        articles = articles_in_order(self.matches.ids, with_body=self.fmt.needs_body, missing=self.missing)
        yield from write(articles)

    def _chunks(self, articles: Iterator[Article], render) -> Iterator[str]:
        batch: list[str] = []
        for article in articles:
            batch.append(render(article))
            self.written += 1
            if len(batch) == CHUNK:
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)

    def _item(self, article: Article):
        return citation_item(article, self.site + article.get_absolute_url(), self.accessed)

    def _missing_note(self) -> str:
        n, count = len(self.missing), self.header["count"]
        return f"{n} of {count} articles were deleted while this file was written: ids {self.missing}"

    def _csv(self, articles):
        preamble = [[spreadsheet_safe(f"# {key}"), spreadsheet_safe(_one_line(v))] for key, v in self.header.items()]
        yield ("\ufeff" if self.bom else "") + csv_text(preamble + [FIELDS])
        yield from self._chunks(articles, lambda a: csv_text([csv_row(article_record(a))]))
        if self.missing:
            yield csv_text([["# missing", self._missing_note()]])

    def _jsonl(self, articles):
        yield json.dumps({"kzarchive_export": self.header}, ensure_ascii=False) + "\n"
        yield from self._chunks(articles, lambda a: json.dumps(article_record(a), ensure_ascii=False) + "\n")
        if self.missing:
            yield json.dumps({"kzarchive_export_missing": self.missing, "notice": self._missing_note()}) + "\n"

    def _ris(self, articles):
        yield f'Provider: kzarchive\nDatabase: {_one_line(self.header)}\nContent: text/plain; charset="utf-8"\n\n'
        yield from self._chunks(articles, lambda a: ris.to_ris([self._item(a)]))
        if self.missing:
            yield f"\nMissing: {self._missing_note()}\n"

    def _bib(self, articles):
        yield biblatex.to_bib([biblatex.comment(f"kzarchive export: {_one_line(self.header)}")]) + "\n"
        yield from self._chunks(articles, lambda a: biblatex.to_bib([biblatex.bib_entry(self._item(a))]) + "\n")
        if self.missing:
            yield biblatex.to_bib([biblatex.comment(self._missing_note())])

    def _csl_json(self, articles):
        h = self.header
        about = {
            "id": "kzarchive-export",
            "type": "dataset",
            "title": f"kzarchive search export: {h['query'] or 'all articles'} ({h['count']} articles)",
            "publisher": "kzarchive",
            "issued": {"date-parts": [[int(p) for p in h["exported_at"][:10].split("-")]]},
            "version": h["archive_version"],
            "URL": h["reproduce"],
            "note": json.dumps(h, ensure_ascii=False),
        }
        yield "[\n" + json.dumps(about, ensure_ascii=False)
        yield from self._chunks(articles, lambda a: ",\n" + json.dumps(csl.csl_item(self._item(a)), ensure_ascii=False))
        if self.missing:
            end = {
                "id": "kzarchive-export-missing",
                "type": "document",
                "title": "Missing",
                "note": self._missing_note(),
            }
            yield ",\n" + json.dumps(end, ensure_ascii=False)
        yield "\n]\n"
