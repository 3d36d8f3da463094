#!/usr/bin/env python3
"""Benchmark HTML article extraction: kzarchive's extractor vs trafilatura alone.

Usage (from the repo root, no Django needed):

    python benchmarks/extraction.py [--corpus ../shared/corpora] [--limit N]
                                    [--only readability|scrapinghub] [--show-misses]

Corpora (read-only, never copied into the repo):

* ``readability/<case>/`` (Mozilla Readability test pages): ``source.html`` is
  the input; ``expected-metadata.json`` gives title, byline, siteName,
  publishedTime; ``expected.html`` is the expected article body. These are
  Readability.js's own outputs, not human annotation.
* ``scrapinghub-aeb/`` (Zyte article-extraction benchmark): ``html/<id>.html.gz``
  is the input, ``ground-truth.json`` gives ``articleBody`` (human annotated).
  No metadata ground truth.

Metrics (each metadata metric only over cases whose expected value is non-null;
the count is printed next to the rate):

* title exact: both titles with whitespace collapsed and stripped, then equal.
* title lenient: lowercased ``\\w+`` word lists; one title's words all occur in
  the other's (set containment either way). Empty prediction never matches.
* byline (lenient): same containment test between the expected ``byline`` and
  the predicted credit names joined with ", " (trafilatura: its ``author``).
* site name: same containment test against ``siteName``.
* date same-day: the expected ``publishedTime``'s leading YYYY-MM-DD (as
  written, no timezone conversion) equals the predicted date; kzarchive must
  claim day precision for it to count.
* body token P/R/F1: bag (multiset) of lowercased ``\\w+`` tokens of predicted vs
  expected body text; per document tp/fp/fn are normalised to sum 1 (so long
  pages do not weigh more), precision and recall are averaged over documents
  and F1 = 2PR/(P+R) of those means -- the aggregation of scrapinghub's
  ``evaluate.py``.
* body shingle P/R/F1: exactly scrapinghub's ``evaluate.py`` -- multiset of
  word 4-gram shingles of (case-kept) ``\\w+`` tokens, same aggregation.
  For readability the expected body is the text of ``expected.html``
  (BeautifulSoup ``get_text`` with newline separators).
* ms/page: CPU time (``time.process_time``) of the extraction call only (input
  bytes already in memory), mean and max over pages of that corpus. CPU time,
  not wall time, so other jobs on a shared machine do not inflate it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from articles.extraction.html import extract_html  # noqa: E402  (no Django)

WORD = re.compile(r"\w+", re.UNICODE)


# --------------------------------------------------------------------------- metrics
def words(s: str | None) -> list[str]:
    return WORD.findall((s or "").lower())


def contains_either(pred: str | None, exp: str | None) -> bool:
    a, b = set(words(pred)), set(words(exp))
    if not a or not b:
        return False
    return a <= b or b <= a


def norm_ws(s: str | None) -> str:
    return " ".join((s or "").split())


def tp_fp_fn(true_items: list, pred_items: list) -> tuple[float, float, float]:
    t, p = Counter(true_items), Counter(pred_items)
    tp = sum((t & p).values())
    fp = sum(p.values()) - tp
    fn = sum(t.values()) - tp
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def shingles(text: str, n: int = 4) -> list[tuple[str, ...]]:
    toks = WORD.findall(text or "")
    out = []
    for i in range(0, max(1, len(toks) - n + 1)):
        sh = tuple(toks[i : i + n])
        if sh:
            out.append(sh)
    return out


def prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def prec(tp, fp, fn):
        if fp == fn == 0:
            return 1.0
        return 0.0 if tp == fp == 0 else tp / (tp + fp)

    def rec(tp, fp, fn):
        if fp == fn == 0:
            return 1.0
        return 0.0 if tp == fn == 0 else tp / (tp + fn)

    ps = [prec(*r) for r in rows if r[0] + r[1] > 0]
    rs = [rec(*r) for r in rows if r[0] + r[2] > 0]
    p = statistics.mean(ps) if ps else 0.0
    r = statistics.mean(rs) if rs else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


# --------------------------------------------------------------------------- systems
def run_kzarchive(data: bytes, filename: str) -> dict:
    ex = extract_html(data, filename=filename)
    return {
        "title": ex.title,
        "byline": ", ".join(c.name for c in ex.credits),
        "site": ex.site_name,
        "date": ex.published.iso() if ex.published.precision == "day" else None,
        "body": "\n\n".join(ex.paragraphs),
    }


def run_trafilatura(data: bytes, filename: str) -> dict:
    import trafilatura

    doc = trafilatura.bare_extraction(data, with_metadata=True)
    if doc is None:
        return {"title": "", "byline": "", "site": "", "date": None, "body": ""}
    return {
        "title": doc.title or "",
        "byline": doc.author or "",
        "site": doc.sitename or "",
        "date": (doc.date or "")[:10] or None,
        "body": doc.text or "",
    }


SYSTEMS = {"kzarchive": run_kzarchive, "trafilatura": run_trafilatura}


# --------------------------------------------------------------------------- corpora
def readability_cases(root: Path, limit: int | None):
    from bs4 import BeautifulSoup

    cases = sorted(p for p in (root / "readability").iterdir() if (p / "source.html").exists())
    for case in cases[:limit]:
        meta = json.loads((case / "expected-metadata.json").read_text(encoding="utf-8"))
        exp_html = (case / "expected.html").read_text(encoding="utf-8", errors="replace")
        body = BeautifulSoup(exp_html, "lxml").get_text("\n")
        yield case.name, (case / "source.html").read_bytes(), "source.html", meta, body


def scrapinghub_cases(root: Path, limit: int | None):
    base = root / "scrapinghub-aeb"
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth)[:limit]:
        data = gzip.decompress((base / "html" / f"{key}.html.gz").read_bytes())
        yield key, data, f"{key}.html", None, truth[key].get("articleBody", "")


# --------------------------------------------------------------------------- runner
def evaluate(name: str, cases, show_misses: bool) -> dict[str, dict]:
    stats: dict[str, dict] = {
        s: {"title": [], "title_l": [], "byline": [], "site": [], "date": [], "tok": [], "shg": [], "ms": []}
        for s in SYSTEMS
    }
    for case, data, filename, meta, body in cases:
        for sys_name, fn in SYSTEMS.items():
            t0 = time.process_time()
            try:
                out = fn(data, filename)
            except Exception as exc:  # a crash is a total miss, and is reported
                print(f"  !! {sys_name} crashed on {name}/{case}: {exc!r}", file=sys.stderr)
                out = {"title": "", "byline": "", "site": "", "date": None, "body": ""}
            st = stats[sys_name]
            st["ms"].append((time.process_time() - t0) * 1000)
            st["tok"].append(tp_fp_fn(words(body), words(out["body"])))
            st["shg"].append(tp_fp_fn(shingles(body), shingles(out["body"])))
            if meta is None:
                continue
            misses = []
            if meta.get("title"):
                ok = norm_ws(meta["title"]) == norm_ws(out["title"])
                st["title"].append(ok)
                st["title_l"].append(contains_either(out["title"], meta["title"]))
                if not ok:
                    misses.append(f"title {out['title']!r} != {meta['title']!r}")
            if meta.get("byline"):
                ok = contains_either(out["byline"], meta["byline"])
                st["byline"].append(ok)
                if not ok:
                    misses.append(f"byline {out['byline']!r} vs {norm_ws(meta['byline'])!r}")
            if meta.get("siteName"):
                ok = contains_either(out["site"], meta["siteName"])
                st["site"].append(ok)
                if not ok:
                    misses.append(f"site {out['site']!r} vs {meta['siteName']!r}")
            if meta.get("publishedTime"):
                ok = out["date"] == meta["publishedTime"][:10]
                st["date"].append(ok)
                if not ok:
                    misses.append(f"date {out['date']!r} vs {meta['publishedTime']!r}")
            if show_misses and sys_name == "kzarchive" and misses:
                print(f"  [{case}] " + " | ".join(misses))
        if show_misses and meta is None:
            p, r, f = prf([stats["kzarchive"]["tok"][-1]])
            if f < 0.9:
                print(f"  [{case}] body token P={p:.2f} R={r:.2f}")
        if show_misses and meta is not None:
            p, r, f = prf([stats["kzarchive"]["tok"][-1]])
            if f < 0.9:
                print(f"  [{case}] body token P={p:.2f} R={r:.2f}")
    return stats


def rate(xs: list[bool]) -> str:
    return f"{100 * sum(xs) / len(xs):5.1f}% ({sum(xs)}/{len(xs)})" if xs else "    n/a"


def report(name: str, stats: dict[str, dict], with_meta: bool) -> None:
    cols = list(SYSTEMS)
    print(f"\n== {name}: {len(stats[cols[0]]['ms'])} pages")
    print(f"{'metric':<26}" + "".join(f"{c:>22}" for c in cols))
    rows = []
    if with_meta:
        rows += [
            ("title exact", lambda s: rate(s["title"])),
            ("title lenient", lambda s: rate(s["title_l"])),
            ("byline lenient", lambda s: rate(s["byline"])),
            ("site name", lambda s: rate(s["site"])),
            ("date same-day", lambda s: rate(s["date"])),
        ]
    rows += [
        ("body token P/R/F1", lambda s: "{:.3f}/{:.3f}/{:.3f}".format(*prf(s["tok"]))),
        ("body 4-shingle P/R/F1", lambda s: "{:.3f}/{:.3f}/{:.3f}".format(*prf(s["shg"]))),
        ("ms/page (mean)", lambda s: f"{statistics.mean(s['ms']):.1f}"),
        ("ms/page (max)", lambda s: f"{max(s['ms']):.1f}"),
    ]
    for label, fn in rows:
        print(f"{label:<26}" + "".join(f"{fn(stats[c]):>22}" for c in cols))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=REPO / ".." / "shared" / "corpora")
    ap.add_argument("--limit", type=int, default=None, help="at most N pages per corpus")
    ap.add_argument("--only", choices=["readability", "scrapinghub"], default=None)
    ap.add_argument("--show-misses", action="store_true", help="list kzarchive's misses")
    args = ap.parse_args()
    root = args.corpus.resolve()
    # Warm up imports/caches so the first page's timing is not import time.
    for fn in SYSTEMS.values():
        fn(b"<html><head><title>x</title></head><body><p>warm up</p></body></html>", "w.html")
    if args.only in (None, "readability"):
        st = evaluate("readability", readability_cases(root, args.limit), args.show_misses)
        report("readability (Readability.js expected output)", st, with_meta=True)
    if args.only in (None, "scrapinghub"):
        st = evaluate("scrapinghub", scrapinghub_cases(root, args.limit), args.show_misses)
        report("scrapinghub-aeb (human articleBody)", st, with_meta=False)


if __name__ == "__main__":
    main()
