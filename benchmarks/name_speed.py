#!/usr/bin/env python
"""What name matching (issue 13) costs a search: `spelling=exact` (the search as before it: no variant
expansion, no spelling-field lookups) against the default `spelling=variants`, on one archive in one run.

    nice -n 10 .venv/bin/python benchmarks/name_speed.py --workdir /tmp/kz10k --reuse   # an archive kept earlier
    .venv/bin/python benchmarks/name_speed.py --articles 10000                          # builds its own (~6 min)
    .venv/bin/python benchmarks/name_speed.py --articles 60 --corpus tests/data/corpus-sample --reps 1   # smoke

The queries are scale.py's QUERIES through `search_articles` (facets and snippets on, page of 20) and
through /api/search on a gunicorn server (scale.Server); the modes alternate within every repetition,
their order flipping each time, so load drift on a shared machine reaches both. Then, separately, the
`mention` facet: the same searches with the facet list as shipped and without `mention`. And a few name
queries, where the expansion actually happens (the QUERIES are English words, which the parser leaves
as they were). The archive comes from scale.py's helpers (`benchmark_archive`). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

MODES = ("exact", "variants")
# Names the BBC and Reuters texts write: entity-table names (aliases expand) and name-like words (spelling
# keys expand; Khodorkovskiy is written Khodorkovsky there). Under variants the expansion runs.
NAME_QUERIES = [
    ("entity: Putin", {"q": "Putin"}),
    ("variant: Khodorkovskiy", {"q": "Khodorkovskiy"}),
    ("variant: Yukos", {"q": "Yukos"}),
    ("entity phrase", {"q": '"Soviet Union"'}),
    ("entity: Kremlin", {"q": "Kremlin"}),
]


def interleaved(items, modes, run, reps: int) -> dict:
    """Times of run(item, mode) per mode: one warm-up round each, then `reps` rounds in which every item
    runs once in every mode, the mode order flipping each round."""
    for _, item in items:
        for mode in modes:
            run(item, mode)
    times = {m: [] for m in modes}
    per = {m: {} for m in modes}
    for rep in range(reps):
        for name, item in items:
            for mode in modes if rep % 2 == 0 else tuple(reversed(modes)):
                t = time.perf_counter()
                run(item, mode)
                d = time.perf_counter() - t
                times[mode].append(d)
                per[mode].setdefault(name, []).append(d)
    return {
        m: {
            "p50": scale.pct(times[m], 0.5) * 1000,
            "p95": scale.pct(times[m], 0.95) * 1000,
            "per_query": {k: scale.pct(v, 0.5) * 1000 for k, v in per[m].items()},
            "n": len(times[m]),
        }
        for m in modes
    }


def function_items(queries):
    from articles.search import SearchParams

    return [(name, SearchParams(page_size=scale.PAGE_SIZE, **kw)) for name, kw, *_ in queries]


def phase_modes(queries, reps: int) -> dict:
    from articles.search import search_articles

    items = function_items(queries)
    out = interleaved(items, MODES, lambda p, m: search_articles(dataclasses.replace(p, spelling=m)), reps)
    out["counts"] = {
        m: {name: search_articles(dataclasses.replace(p, spelling=m)).count for name, p in items} for m in MODES
    }
    return out


def phase_mention_facet(reps: int) -> dict:
    """search_articles with the facet list as shipped against the same list without `mention`. The search
    code reads its module's FACETS on every call; this swaps it for the timed call only."""
    import articles.search as search

    shipped = search.FACETS
    without = tuple(f for f in shipped if f != "mention")
    items = function_items(scale.QUERIES)

    def run(p, facets):
        search.FACETS = shipped if facets == "with mention" else without
        try:
            return search.search_articles(p)
        finally:
            search.FACETS = shipped

    out = interleaved(items, ("without mention", "with mention"), run, reps)
    out["mention_values"] = len(search.search_articles(search.SearchParams(q="")).facets.get("mention", []))
    return out


def phase_http(reps: int) -> dict:
    server = scale.Server({}, workers=2)
    try:
        items = [(name, scale.query_url("/api/search", kw)) for name, kw, *_ in scale.QUERIES]
        errors = [0]

        def run(url, mode):
            status, _ = server.get(f"{url}&spelling={mode}")
            errors[0] += status != 200

        for _ in range(2):  # both workers warm
            for _, url in items:
                run(url, "variants")
                run(url, "exact")
        errors[0] = 0
        out = interleaved(items, MODES, run, reps)
        out["errors"] = errors[0]
        return out
    finally:
        server.stop()


def ratio_rows(r: dict, a: str, b: str) -> list[str]:
    return [
        f"  {'p50':<24} {r[a]['p50']:15.1f} {r[b]['p50']:15.1f}   {r[b]['p50'] / r[a]['p50']:5.2f}x",
        f"  {'p95':<24} {r[a]['p95']:15.1f} {r[b]['p95']:15.1f}   {r[b]['p95'] / r[a]['p95']:5.2f}x",
    ]


def report(results: dict) -> str:
    lines = [
        f"\n=== name matching: spelling=exact (before) vs spelling=variants (after), {results['articles']:,} articles"
    ]
    lines.append(f"load average (1, 5, 15 min): start {results['load_start']}, end {results['load_end']}")
    sections = [("search_articles, facets+snippets, scale.py QUERIES", "function", "exact", "variants")]
    if "http" in results:
        sections.append(("/api/search over HTTP (gunicorn, 2 workers), scale.py QUERIES", "http", "exact", "variants"))
    sections.append(("search_articles, name queries (expanded under variants)", "names", "exact", "variants"))
    sections.append(
        ("mention facet (both modes pay it; spelling=variants)", "mention", "without mention", "with mention")
    )
    for title, key, a, b in sections:
        r = results[key]
        lines.append(f"\n{title}: {r[a]['n']} runs per column; per query: median ms")
        lines.append(f"  {'ms':<24} {a:>15} {b:>15}   ratio")
        lines.extend(ratio_rows(r, a, b))
        for name in r[a]["per_query"]:
            counts = ""
            if "counts" in r:
                counts = f"   hits {r['counts'][a][name]} / {r['counts'][b][name]}"
            lines.append(f"  {name:<24} {r[a]['per_query'][name]:15.1f} {r[b]['per_query'][name]:15.1f}{counts}")
    if "http" in results:
        lines.append(f"\nHTTP errors: {results['http']['errors']}")
    lines.append(f"mention facet values on browse-all: {results['mention']['mention_values']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scale.add_archive_arguments(ap)
    ap.add_argument("--reps", type=int, default=7, help="rounds per query and mode (default 7)")
    ap.add_argument("--no-http", action="store_true", help="skip the gunicorn phase")
    args = ap.parse_args(argv)
    with scale.benchmark_archive(args, "kzarchive-names-") as workdir:
        from articles.models import Article

        results: dict = {"articles": Article.objects.count(), "reps": args.reps}
        results["load_start"] = [round(x, 2) for x in os.getloadavg()]
        scale.log("search_articles: exact vs variants")
        results["function"] = phase_modes(scale.QUERIES, args.reps)
        if not args.no_http:
            scale.log("/api/search: exact vs variants")
            results["http"] = phase_http(args.reps)
        scale.log("name queries")
        results["names"] = phase_modes(NAME_QUERIES, args.reps)
        scale.log("mention facet")
        results["mention"] = phase_mention_facet(args.reps)
        results["load_end"] = [round(x, 2) for x in os.getloadavg()]
        text = report(results)
        scale.publish(workdir, "name-speed-results", results, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
