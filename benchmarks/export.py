#!/usr/bin/env python
"""Export benchmark: rows per second and peak memory streaming a whole result set in each format.

    .venv/bin/python benchmarks/export.py --articles 10000            # builds a 10k archive, then measures
    .venv/bin/python benchmarks/export.py --articles 200 --corpus tests/data/corpus-sample   # smoke run

The archive is built with benchmarks/scale.py's own helpers (same documents; rows by bulk_create, then
rebuild_index). One child process times finding every match of "browse all" (`search.matching_ids`).
Then each format runs in a fresh child that takes the first N article ids in browse order from the
database and streams `result_export.ResultExport` into a byte counter, reporting rows/s and its peak
RSS. N is 1/10 of the archive and the whole archive, so flat memory shows as the same peak at both
sizes. The baseline, measured the same way in the same run, reads the same articles in the same chunks
without writing anything: ratios say what formatting costs on top of reading.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scale  # noqa: E402  (benchmarks/scale.py: corpus, environment and fill helpers)

FORMATS = ("baseline", "csv", "jsonl", "ris", "bib", "csl.json")


def resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def child(workdir: Path, fmt: str, n: int) -> dict:
    scale.setup_environment(workdir)
    from articles.result_export import EXPORT_FORMATS, ResultExport, articles_in_order, export_header
    from articles.search import Matches, SearchParams, matching_ids

    if fmt == "search":  # finding every match, measured on its own
        t0 = time.perf_counter()
        everything = matching_ids(SearchParams(q="", sort="oldest"))
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"format": fmt, "rows": everything.count, "seconds": seconds, "peak_rss_mb": peak}
    from articles.models import Article

    # The export stage alone: ids in browse order straight from the database, so the peak is the writer's.
    ids = list(Article.objects.by_date(newest_first=False).values_list("id", flat=True)[:n])
    matches = Matches(SearchParams(sort="oldest"), ids)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    size, trace = 0, []  # resident memory (MB) after every chunk of 500 articles
    if fmt == "baseline":
        missing: list[int] = []
        rows = 0
        for rows, _article in enumerate(articles_in_order(matches.ids, with_body=True, missing=missing), 1):
            if rows % 500 == 0:
                trace.append(resident_mb())
    else:
        header = export_header(matches, "http://127.0.0.1:8000/search/")
        for chunk in ResultExport(EXPORT_FORMATS[fmt], matches, header, site="http://127.0.0.1:8000"):
            size += len(chunk.encode())
            trace.append(resident_mb())
        rows = matches.count
    seconds = time.perf_counter() - t0
    return {
        "format": fmt,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "bytes": size,
        "rss_trace_mb": trace,
        "rss_before_mb": rss_before / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(workdir: Path, fmt: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", fmt, str(n), "--workdir", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--corpus", type=Path, default=scale.DEFAULT_CORPUS)
    ap.add_argument("--workdir", type=Path, default=None, help="default: a new temporary folder")
    ap.add_argument("--reuse", action="store_true", help="keep --workdir's archive from a previous run")
    ap.add_argument("--table", action="store_true", help="print the table of --workdir's last run again")
    ap.add_argument("--child", nargs=2, metavar=("FORMAT", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kzarchive-export-")).resolve()
    if args.child:
        print(json.dumps(child(workdir, args.child[0], int(args.child[1]))))
        return 0

    if args.table:
        rows = json.loads((workdir / "export-results.json").read_text())
        print(table(rows, max(r["rows"] for r in rows), workdir))
        return 0
    if not args.reuse:
        scale.setup_environment(workdir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        scale.log(f"composing {args.articles} documents from {args.corpus}")
        docs = scale.build_documents(args.corpus.resolve(), args.articles)
        scale.log(f"  fill: {scale.phase_bulk_fill(docs)['seconds']:.1f} s")
        scale.log(f"  rebuild_index: {scale.phase_rebuild()['seconds']:.1f} s")
        del docs
    small = max(1, args.articles // 10)
    rows = [measure(workdir, "search", args.articles)]
    scale.log(f"  matching_ids (browse all): {rows[0]['seconds']:.2f} s, peak RSS {rows[0]['peak_rss_mb']:.0f} MB")
    for fmt in FORMATS:
        for n in (small, args.articles):
            r = measure(workdir, fmt, n)
            rows.append(r)
            scale.log(f"  {fmt:9} {n:>7} rows: {r['rows_per_s']:8.0f} rows/s, peak RSS {r['peak_rss_mb']:.0f} MB")
    (workdir / "export-results.json").write_text(json.dumps(rows, indent=2))
    print(table(rows, args.articles, workdir))
    return 0


def trace(row: dict) -> str:
    samples = row["rss_trace_mb"]
    return " / ".join(f"{samples[max(0, round(len(samples) * f) - 1)]:.0f}" for f in (0.2, 0.6, 1.0)) + " MB"


def table(rows: list[dict], articles: int, workdir: Path) -> str:
    search = next(r for r in rows if r["format"] == "search")
    base = {r["rows"]: r["rows_per_s"] for r in rows if r["format"] == "baseline"}
    out = [
        f"\nExport of {articles:,} articles ({workdir}); finding every match (matching_ids, browse all) "
        f"takes {search['seconds']:.2f} s and peaks at {search['peak_rss_mb']:.0f} MB in a process of its own",
        "| format | rows | rows/s | vs. reading only | MB written | RSS before "
        "| RSS after 20% / 60% / 100% of the rows | peak RSS | peak at 1/10 of the rows |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt in FORMATS:
        low, high = (r for r in rows if r["format"] == fmt)
        out.append(
            f"| {fmt} | {high['rows']:,} | {high['rows_per_s']:,.0f} | {high['rows_per_s'] / base[high['rows']]:.2f}x "
            f"| {high['bytes'] / 1e6:.1f} | {high['rss_before_mb']:.0f} MB | {trace(high)} "
            f"| {high['peak_rss_mb']:.0f} MB | {low['peak_rss_mb']:.0f} MB |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
