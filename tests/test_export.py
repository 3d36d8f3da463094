"""export_articles: the record researchers take away, in JSON Lines and CSV (after the export header; see
tests/test_result_export.py for the header, the other formats and queries)."""

import csv
import io
import json

from django.core.management import call_command

from articles.result_export import HEADER_ROWS

REQUIRED = [
    "id",
    "title",
    "outlet",
    "authors",
    "published",
    "date_precision",
    "stance",
    "url",
    "language",
    "word_count",
    "body",
    "source_file",
    "sha256",
]


def run(fmt):
    out = io.StringIO()
    call_command("export_articles", "--format", fmt, stdout=out)
    return out.getvalue()


def jsonl_records(text):
    return [json.loads(line) for line in text.splitlines()[1:]]  # line 1 is the export header


def csv_records(text):
    return list(csv.DictReader(io.StringIO("".join(text.splitlines(keepends=True)[HEADER_ROWS:]))))


def test_jsonl_has_every_field_with_honest_dates(seeded):
    records = jsonl_records(run("jsonl"))
    assert len(records) == 5
    for r in records:
        assert set(REQUIRED) <= set(r)
    by_file = {r["source_file"]: r for r in records}
    assert [(r["published"], r["date_precision"]) for r in (by_file[f] for f in sorted(by_file))] == [
        ("2022-01-06", "day"),
        ("2022-01", "month"),
        ("2022", "year"),
        ("2022-01", "month"),
        ("2022-01", "month"),
    ]
    r = by_file["003_1d74b9649cbe830b.txt"]
    assert r["outlet"] == "InformNapalm" and r["authors"] == ["Sofia Hriniova"]
    assert r["url"] is None and r["language"] == "en"
    assert r["body"].startswith("Russian propagandists") and r["word_count"] == len(r["body"].split())
    assert by_file["004_0023f067e5c2ca8b.txt"]["outlet"] is None
    assert by_file["004_0023f067e5c2ca8b.txt"]["authors"] == []
    assert r["sha256"] == seeded["003_1d74b9649cbe830b.txt"].sha256


def test_csv_matches_jsonl(seeded):
    rows = csv_records(run("csv"))
    records = jsonl_records(run("jsonl"))
    assert [row["id"] for row in rows] == [str(r["id"]) for r in records]
    for row, rec in zip(rows, records, strict=True):
        assert row["title"] == rec["title"]
        assert row["authors"] == "; ".join(rec["authors"])
        assert row["body"] == rec["body"]  # paragraphs survive CSV quoting
        assert row["published"] == (rec["published"] or "")
