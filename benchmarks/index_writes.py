#!/usr/bin/env python
"""Index writes: how long a single save takes to become searchable, and how fast ingest stores files.

    .venv/bin/python benchmarks/index_writes.py                      # 1,000 and 10,000 articles
    .venv/bin/python benchmarks/index_writes.py --sizes 300 --saves 10 --files 50   # quick

In one run, one database and one index in --workdir (default: a new temporary folder):
1. ingest of FILES single .txt files through articles.ingest.ingest_paths: the folder at once, then another
   FILES one by one (one ingest_paths call per file), in files/s;
2. for each size (built with benchmarks/scale.py: bulk rows, then rebuild_index): SAVES consecutive single
   saves of an article (new title word, one transaction each), timed from save() to the search that finds
   the word, with the merge policy of the save path (articles/whoosh/merges.py, save_merge: no merge on the
   save path, background merges in a forked process; their CPU is not this process's), then, from the same
   index merged into one segment, with the former tiered policy (every segment under 4,000 documents in
   one tier) as the baseline: p50/p95/max and the ratios. Before each policy's saves, one untimed warm-up
   (articles.search.warm_up, as each server worker runs at start) fills the caches of the index as it is.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

TIERED_FACTOR, TIERED_BASE = 4, 1000


def tiered_merge(writer, segments):
    """The save path's former merge policy (until issue 11), kept here as the baseline."""
    from whoosh.reading import SegmentReader

    live = [seg for seg in segments if seg.doc_count() > 0]
    tiers: dict[int, list] = {}
    for seg in live:
        tier = int(math.log(max(seg.doc_count_all(), TIERED_BASE) / TIERED_BASE, TIERED_FACTOR))
        tiers.setdefault(tier, []).append(seg)
    merge = next((tiers[t] for t in sorted(tiers) if len(tiers[t]) >= TIERED_FACTOR), [])
    for seg in merge:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in live if seg not in merge]


def write_files(folder: Path, docs) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for n, d in enumerate(docs):
        path = folder / f"{n:05d}.txt"
        path.write_bytes(scale.document_bytes(d))
        paths.append(path)
    return paths


def phase_ingest(workdir: Path, docs, files: int) -> dict:
    from articles.ingest import FAILED, ingest_paths

    folder = write_files(workdir / "files-folder", docs[:files])
    single = write_files(workdir / "files-single", docs[files : 2 * files])
    t0, c0 = time.perf_counter(), time.process_time()
    report = ingest_paths([folder[0].parent])
    folder_s, folder_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert report.failed == 0 and report.queued == 0, report.summary()
    t0, c0 = time.perf_counter(), time.process_time()
    failed = 0
    for path in single:
        r = ingest_paths([path])
        failed += r.count(FAILED) + r.queued
    single_s, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert failed == 0
    return {
        "files": files,
        "folder_seconds": folder_s,
        "folder_per_s": files / folder_s,
        "single_seconds": single_s,
        "single_per_s": files / single_s,
        "folder_per_cpu_s": files / folder_cpu,
        "single_per_cpu_s": files / single_cpu,
    }


def saves(n: int, policy_name: str) -> list[float]:
    """n single saves, each timed until a search finds its new word."""
    from django.db import transaction
    from haystack import connections

    from articles.models import Article
    from articles.search import SearchParams, search_articles, warm_up
    from articles.whoosh import merges

    backend = connections["default"].get_backend()
    backend.save_merge = {"log": merges.save_merge, "tiered": tiered_merge}[policy_name]
    # Untimed, what every gunicorn worker does before it serves (kzarchive/wsgi.py): fill the per-segment
    # caches of the index just rebuilt or merged. Without it the first save's search paid for them (617-678
    # ms of CPU at 10,000 articles, the run's max), which is a cold start, not the cost of a save.
    warm_up()
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // n)
    times, cpu = [], []
    for i in range(n):
        article = Article.objects.get(pk=ids[(i * step) % len(ids)])
        word = f"zq{policy_name}{i:03d}x{len(ids)}"
        t0, c0 = time.perf_counter(), time.process_time()
        with transaction.atomic():
            article.title = f"{article.title[:400]} {word}"
            article.save()
        found = search_articles(SearchParams(q=word))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        assert [h.article.pk for h in found.hits] == [article.pk], (word, found.count)
    backend.save_merge = merges.save_merge
    return times, cpu


def phase_size(docs, saves_n: int) -> dict:
    from haystack import connections

    scale.log(f"  {len(docs)} more rows (bulk), rebuild_index")
    scale.phase_bulk_fill(docs)
    rebuild = scale.phase_rebuild()
    backend = connections["default"].get_backend()
    scale.log(f"  {saves_n} saves, the save path's policy (no merge; background merges in a child process)")
    log_times, log_cpu = saves(saves_n, "log")
    segments_after = len(backend.index.refresh()._segments())
    t0 = time.perf_counter()
    backend.merge_segments(everything=True)
    merge_s = time.perf_counter() - t0
    scale.log(f"  {saves_n} saves, former tiered policy (baseline)")
    tiered_times, tiered_cpu = saves(saves_n, "tiered")
    backend.merge_segments(everything=True)
    return {
        "articles": rebuild["docs"],
        "rebuild_seconds": rebuild["seconds"],
        "log": scale.stats_ms(log_times),
        "tiered": scale.stats_ms(tiered_times),
        "log_cpu": scale.stats_ms(log_cpu),
        "tiered_cpu": scale.stats_ms(tiered_cpu),
        "segments_after_saves": segments_after,
        "merge_all_seconds": merge_s,
    }


def report(r: dict) -> str:
    lines = ["", f"save -> searchable (ms, wall clock), {r['saves']} consecutive single saves each:", ""]
    lines.append("| articles | save path p50 / p95 / max | former tiered p50 / p95 / max | p95 ratio | max ratio |")
    lines.append("|---|---|---|---|---|")
    for s in r["sizes"]:
        a, b = s["log"], s["tiered"]
        lines.append(
            f"| {s['articles']:,} | {a['median']:.0f} / {a['p95']:.0f} / {a['max']:.0f} "
            f"| {b['median']:.0f} / {b['p95']:.0f} / {b['max']:.0f} "
            f"| {a['p95'] / b['p95']:.3f}x | {a['max'] / b['max']:.3f}x |"
        )
    lines += ["", "the same saves in CPU time of this process (ms, what the machine's load does not inflate):", ""]
    lines.append("| articles | save path p50 / p95 / max | former tiered p50 / p95 / max |")
    lines.append("|---|---|---|")
    for s in r["sizes"]:
        a, b = s["log_cpu"], s["tiered_cpu"]
        lines.append(
            f"| {s['articles']:,} | {a['median']:.0f} / {a['p95']:.0f} / {a['max']:.0f} "
            f"| {b['median']:.0f} / {b['p95']:.0f} / {b['max']:.0f} |"
        )
    i = r["ingest"]
    lines += [
        "",
        f"ingest of {i['files']:,} single .txt files: folder {i['folder_per_s']:.1f} files/s "
        f"({i['folder_seconds']:.1f} s); one by one {i['single_per_s']:.1f} files/s ({i['single_seconds']:.1f} s)",
        f"per CPU second: folder {i['folder_per_cpu_s']:.1f} files, one by one {i['single_per_cpu_s']:.1f} files",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=scale.DEFAULT_CORPUS)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--saves", type=int, default=50)
    ap.add_argument("--files", type=int, default=1000, help="files per ingest measurement")
    args = ap.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kzarchive-writes-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        scale.setup_environment(workdir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        sizes = sorted(args.sizes)
        docs = scale.build_documents(args.corpus, 2 * args.files + sizes[-1])
        scale.log(f"ingest: {args.files} files as a folder, {args.files} one by one")
        results = {"ingest": phase_ingest(workdir, docs, args.files), "sizes": [], "saves": args.saves}
        scale.log(f"  {results['ingest']}")
        from articles.models import Article

        Article.objects.all().delete()  # start the archive sizes from nothing (the index follows)
        archive = docs[2 * args.files :]
        built = 0
        for size in sizes:
            scale.log(f"archive of {size} articles")
            results["sizes"].append(phase_size(archive[built:size], args.saves))
            built = size
            scale.log(f"  {results['sizes'][-1]}")
        (workdir / "index_writes.json").write_text(json.dumps(results, indent=2))
        print(report(results))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
