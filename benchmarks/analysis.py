#!/usr/bin/env python
"""Analysis tools at scale: p95 of each tool's API against a plain search in the same run.

    .venv/bin/python benchmarks/analysis.py --articles 10000              # builds its own archive (~3 min)
    .venv/bin/python benchmarks/analysis.py --workdir /tmp/kz10k --reuse  # an archive benchmarks/scale.py kept
    .venv/bin/python benchmarks/analysis.py --quick --corpus tests/data/corpus-sample

The archive is built as benchmarks/scale.py builds it (its helpers are imported, not copied): the real BBC
and Reuters articles, rows written with bulk_create, then `rebuild_index`. Each request goes through
Django's test client in this process (URL routing, the view, JSON), after one warm-up round: the plain
search is `/api/search` (page of 20, facets, snippets) with the same query and filters. See
benchmarks/README.md ("Analysis").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (benchmarks/scale.py: corpus, environment, fill and rebuild helpers)

# (name, plain search parameters, tool, tool-only parameters)
CASES = [
    ("concordance: rare word", {"q": "cocoa"}, "concordance", {}),
    ("concordance: common word", {"q": "market"}, "concordance", {}),
    ("concordance: phrase", {"q": '"interest rates"'}, "concordance", {"sort": "L1"}),
    ("trends: common word, by month and outlet", {"q": "market"}, "trends", {"by": "month", "split": "outlet"}),
    ("trends: rare word, by day", {"q": "cocoa"}, "trends", {"by": "day"}),
    ("trends: everything, by month and outlet", {}, "trends", {"by": "month", "split": "outlet"}),
    ("compare: rare word vs archive", {"q": "cocoa"}, "compare", {}),
    ("compare: Reuters 'oil' vs BBC 'oil'", {"q": "oil"}, "compare", {}),
    ("timeline: rare word", {"q": "cocoa"}, "timeline", {}),
    ("timeline: common word", {"q": "market"}, "timeline", {}),
]


def tool_url(search: dict, tool: str, extra: dict, name: str) -> str:
    if tool == "compare":
        if "Reuters" in name:
            params = {"a.q": search["q"], "a.outlet": "Reuters", "b.q": search["q"], "b.outlet": "BBC News"}
        else:
            params = {f"a.{k}": v for k, v in search.items()}
    else:
        params = {**search, **extra}
    return f"/api/analysis/{tool}?" + urlencode(params)


def time_get(client, url: str, reps: int) -> tuple[list[float], dict]:
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t)
        assert response.status_code == 200
    return times, response.json()


def summary(tool: str, data: dict) -> str:
    if tool == "concordance":
        return f"{data['count']} lines in {data['articles_read']}/{data['matching_articles']} articles"
    if tool == "trends":
        counted = "yes" if data["occurrences_counted"] else "no"
        return f"{data['count']} articles, {len(data['rows'])} rows, occurrences {counted}"
    if tool == "compare":
        return (
            f"A {data['a']['read']}/{data['a']['matches']}, B {data['b']['read']}/{data['b']['matches']} articles read"
        )
    return f"{data['count']} mentions in {data['articles_read']}/{data['matching_articles']} articles"


def run(args) -> dict:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    rows = []
    for name, search, tool, extra in CASES:
        plain_url = "/api/search?" + urlencode({**search, "page_size": 20})
        plain, plain_data = time_get(client, plain_url, args.reps)
        times, data = time_get(client, tool_url(search, tool, extra, name), args.reps)
        p95, plain_p95 = scale.pct(times, 0.95) * 1000, scale.pct(plain, 0.95) * 1000
        rows.append(
            {
                "case": name,
                "tool_p95_ms": p95,
                "tool_median_ms": scale.pct(times, 0.5) * 1000,
                "search_p95_ms": plain_p95,
                "ratio": p95 / plain_p95,
                "matches": plain_data["count"],
                "truncated": bool(data.get("truncated")),
                "what": summary(tool, data),
            }
        )
        scale.log(f"  {name}: {p95:.0f} ms p95 ({p95 / plain_p95:.1f}x search); {rows[-1]['what']}")
    return {"rows": rows}


def report(n: int, reps: int, result: dict) -> str:
    lines = [
        f"Analysis tools at {n:,} articles ({reps} reps after a warm-up; /api/search page of 20 as the baseline)",
        "",
        "| case | tool p95 | search p95 | ratio | matches | partial | what was read |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['case']} | {r['tool_p95_ms']:.0f} ms | {r['search_p95_ms']:.0f} ms | {r['ratio']:.1f}x | "
            f"{r['matches']:,} | {'yes' if r['truncated'] else 'no'} | {r['what']} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scale.add_archive_arguments(ap)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="60 articles, 1 rep: a smoke run")
    args = ap.parse_args(argv)
    if args.quick:
        args.articles, args.reps = min(args.articles, 60), 1
    with scale.benchmark_archive(args, "kzarchive-analysis-") as workdir:
        from articles.models import Article

        n = Article.objects.count()
        scale.log(f"{n} articles; timing the tools")
        result = run(args)
        text = report(n, args.reps, result)
        scale.publish(workdir, "analysis-results", result, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
