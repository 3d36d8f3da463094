#!/usr/bin/env python
"""Hostile queries at scale: does every query of the hostile set answer within 2 s? (issue 11)

    .venv/bin/python benchmarks/hostile_queries.py --articles 10000             # builds its own archive
    .venv/bin/python benchmarks/hostile_queries.py --articles 500               # a quick correctness run
    .venv/bin/python benchmarks/hostile_queries.py --workdir DIR --reuse        # an archive kept earlier (--keep)

The archive is built as benchmarks/scale.py builds it (its helpers are imported, not copied): the real BBC
and Reuters articles, rows written with bulk_create, then `rebuild_index`. Every query of
tests/data/hostile_queries.json, plus `e~9`, `a~9`, `Tokayev~9` and `a~99999999999`, runs `--runs` times
(no warm-up: a first, cold run counts) through `articles.search.search_articles` (what the pages call,
facets and snippets on, page of 20) and through `/api/search` with Django's test client (routing, view,
JSON). A plain word (`government`) measured the same way in the same run is the baseline. Exit status 1
when any query's slowest run takes more than `--limit` seconds (2) or the API answers anything but 200 or
400. See benchmarks/README.md ("Hostile queries").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (benchmarks/scale.py: corpus, environment, fill and rebuild helpers)

REPO = Path(__file__).resolve().parent.parent
HOSTILE = REPO / "tests" / "data" / "hostile_queries.json"
EXTRA = ["e~9", "a~9", "Tokayev~9", "a~99999999999"]
BASELINE = "government"
PAGE_SIZE = 20


def hostile_queries() -> list[str]:
    queries = [entry["q"] for entry in json.loads(HOSTILE.read_text())["queries"]]
    return list(dict.fromkeys(queries + EXTRA))  # the set's order, each once


def shown(q: str, width: int = 44) -> str:
    """The query as printable text: NUL, bidi marks and the like escaped, long ones cut."""
    text = q.encode("unicode_escape").decode("ascii")
    return text if len(text) <= width else f"{text[: width - 12]}…({len(q)} chars)"


def time_function(q: str, runs: int) -> tuple[list[float], dict]:
    from articles.search import SearchParams, search_articles

    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = search_articles(SearchParams(q=q, page_size=PAGE_SIZE))
        times.append(time.perf_counter() - t)
    return times, {"count": result.count, "count_exact": result.count_exact, "message": result.message}


def time_api(client, q: str, runs: int) -> tuple[list[float], dict]:
    url = "/api/search?" + urlencode({"q": q, "page_size": PAGE_SIZE})
    times, response = [], None
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t)
    info = {"status": response.status_code}
    if response.status_code == 200:
        data = response.json()
        info.update(count=data.get("count"), count_exact=data.get("count_exact"), message=data.get("message", ""))
    elif response.status_code in (400, 414):  # 414: a request line over REQUEST_LINE_LIMIT, refused as JSON
        info["message"] = response.json().get("error", "")
    return times, info


def measure(q: str, client, runs: int) -> dict:
    f_times, f_info = time_function(q, runs)
    a_times, a_info = time_api(client, q, runs)
    return {
        "q": q,
        "function": {"median_s": statistics.median(f_times), "max_s": max(f_times), "runs_s": f_times, **f_info},
        "api": {"median_s": statistics.median(a_times), "max_s": max(a_times), "runs_s": a_times, **a_info},
    }


def run(args) -> dict:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    load_before = os.getloadavg()
    baseline = measure(BASELINE, client, args.runs)
    scale.log(
        f"  baseline {BASELINE!r}: function {baseline['function']['median_s']:.3f} s, "
        f"api {baseline['api']['median_s']:.3f} s median"
    )
    rows = []
    for q in hostile_queries():
        row = measure(q, client, args.runs)
        for side in ("function", "api"):
            row[side]["ratio"] = row[side]["median_s"] / baseline[side]["median_s"]
        rows.append(row)
        scale.log(f"  {shown(q)}: function max {row['function']['max_s']:.3f} s, api max {row['api']['max_s']:.3f} s")
    # the baseline again at the end: a drift between the two says the machine's load changed mid-run
    baseline_after = measure(BASELINE, client, args.runs)
    return {
        "baseline": baseline,
        "baseline_after": baseline_after,
        "rows": rows,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "runs": args.runs,
        "limit_s": args.limit,
    }


def failures(result: dict) -> list[str]:
    out = []
    for row in result["rows"]:
        for side in ("function", "api"):
            if row[side]["max_s"] > result["limit_s"]:
                out.append(f"{shown(row['q'])}: {side} took {row[side]['max_s']:.2f} s (> {result['limit_s']} s)")
        if row["api"]["status"] not in (200, 400, 414):
            out.append(f"{shown(row['q'])}: /api/search answered {row['api']['status']}")
    return out


def notice(info: dict) -> str:
    if info.get("status") in (400, 414):
        return f"{info['status']}: {info['message']}"
    exact = "exact" if info.get("count_exact") else "NOT exact"
    message = info.get("message") or "-"
    return f"{info.get('count', 0):,} ({exact}); {message}"


def report(n: int, result: dict) -> str:
    b, b2 = result["baseline"], result["baseline_after"]
    la, lb = result["load_before"], result["load_after"]
    lines = [
        f"Hostile queries at {n:,} articles: {result['runs']} runs each (no warm-up), page of 20, "
        f"limit {result['limit_s']} s",
        f"load average (1/5/15 min) at start {la[0]:.1f}/{la[1]:.1f}/{la[2]:.1f}, "
        f"at end {lb[0]:.1f}/{lb[1]:.1f}/{lb[2]:.1f}",
        f"baseline {BASELINE!r}: search_articles median {b['function']['median_s'] * 1000:.0f} ms "
        f"(max {b['function']['max_s'] * 1000:.0f}), /api/search median {b['api']['median_s'] * 1000:.0f} ms "
        f"(max {b['api']['max_s'] * 1000:.0f}); again at the end: {b2['function']['median_s'] * 1000:.0f} / "
        f"{b2['api']['median_s'] * 1000:.0f} ms; {b['function']['count']:,} matches",
        "",
        "| query | search_articles median / max | ratio | /api/search median / max | ratio "
        "| notice (count, exact; message) |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        f, a = r["function"], r["api"]
        q = shown(r["q"]).replace("|", "\\|")
        msg = notice(a if a["status"] != 200 else {**f, "status": 200}).replace("|", "\\|")
        if a["status"] == 200 and (a["count"], a["count_exact"]) != (f["count"], f["count_exact"]):
            msg += f" [API: {notice(a)}]"
        lines.append(
            f"| `{q}` | {f['median_s'] * 1000:.0f} / {f['max_s'] * 1000:.0f} ms | {f['ratio']:.1f}x | "
            f"{a['median_s'] * 1000:.0f} / {a['max_s'] * 1000:.0f} ms | {a['ratio']:.1f}x | {msg} |"
        )
    worst = max(result["rows"], key=lambda r: max(r["function"]["max_s"], r["api"]["max_s"]))
    worst_s = max(worst["function"]["max_s"], worst["api"]["max_s"])
    lines += ["", f"slowest: `{shown(worst['q'])}` at {worst_s:.3f} s (its slowest run, function or API)"]
    bad = failures(result)
    lines.append(
        "OVER THE LIMIT:\n  " + "\n  ".join(bad) if bad else f"every query answered within {result['limit_s']} s"
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scale.add_archive_arguments(ap)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit", type=float, default=2.0, help="seconds any run may take (default 2)")
    args = ap.parse_args(argv)
    with scale.benchmark_archive(args, "kzarchive-hostile-") as workdir:
        from articles.models import Article

        n = Article.objects.count()
        scale.log(f"{n} articles in {workdir}; timing the hostile queries")
        result = run(args)
        text = report(n, result)
        scale.publish(workdir, "hostile-results", {"articles": n, **result}, text)
    return 1 if failures(result) else 0


if __name__ == "__main__":
    sys.exit(main())
