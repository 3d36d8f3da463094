#!/usr/bin/env python
"""Scale benchmark: build an archive of N real-text articles through kzarchive's own ingest and index
path, then measure it side by side with a raw Whoosh floor and a SQLite FTS5 peer.

    .venv/bin/python benchmarks/scale.py --articles 10000          # 1000 / 10000 / 100000
    .venv/bin/python benchmarks/scale.py --quick --corpus tests/data/corpus-sample

Everything lives in --workdir (default: a new temporary folder): the SQLite database, the Whoosh
index, the FTS5 peer, collected static files, results.json. KZARCHIVE_DATA_DIR, WHOOSH_PATH and
DATABASE_URL point there before Django starts, so var/ is never touched. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora"

# --- the fixed query set ------------------------------------------------------------------------------
# (name, SearchParams fields, FTS5 MATCH expression or None for "all", FTS5 outlet filter, FTS5 date sort)
QUERIES = [
    ("common word", {"q": "market"}, "market", None, False),
    ("rare word", {"q": "cocoa"}, "cocoa", None, False),
    ("two-word AND", {"q": "oil prices"}, "oil prices", None, False),
    ("phrase", {"q": '"interest rates"'}, '"interest rates"', None, False),
    ("prefix", {"q": "minist*"}, "minist*", None, False),
    # FTS5 has no fuzzy matching: the peer searches the correct spelling.
    ("fuzzy", {"q": "goverment~"}, "government", None, False),
    ("facet filter", {"q": "shares", "outlet": ["Reuters"]}, "shares", "Reuters", False),
    ("date sort", {"q": "election", "sort": "newest"}, "election", None, True),
    ("browse all, newest", {"q": ""}, None, None, True),
]
PAGE_SIZE = 20
FACET_FIELDS = ("outlet", "author", "stance", "year")

FIRST = "Aida Arman Dana Erlan Gulnara Marat Saule Timur Anna James Maria David Laura Peter Sofia Daniel".split()
LAST = "Abenova Bekov Seitkali Nurlanuly Smith Jones Taylor Brown Wilson Evans Khan Garcia Novak Ivanova".split()


# --- corpus ----------------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def reflow(body: str) -> str:
    """Reuters bodies are hard-wrapped at ~70 columns with indented paragraphs: rejoin the lines."""
    body = re.sub(r"\s*Reuter\s*(&#3;)?\s*$", "", body.strip())
    paragraphs = re.split(r"\n\s*\n|\n(?=\s{2,}\S)", body)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", " ".join(text.split())) if len(s.split()) >= 5]


def build_documents(corpus: Path, n: int, seed: int = 1987) -> list[dict]:
    """N documents: the real BBC and Reuters articles interleaved, then articles composed of their sentences.

    Each: name (file name given to ingest), title, body, outlet, published (ISO or None), credits, stance.
    Bylines and stances are synthetic (neither corpus has bylines); outlets and Reuters dates are real.
    """
    rng = random.Random(seed)
    bbc = read_jsonl(corpus / "bbc-news" / "articles.jsonl.gz")
    reuters = read_jsonl(corpus / "reuters-21578" / "articles.jsonl.gz")
    reuters = [r for r in reuters if len((r.get("body") or "").split()) >= 20]  # drop the few empty wires
    # About one in six carries a (synthetic) stance from the curated scheme, for the stance facet.
    stances = [None] * 15 + ["supportive-of-russia", "analytical", "critical-of-russia"]
    real = []
    # Interleave proportionally so every size has both outlets.
    ratio = len(reuters) / max(1, len(bbc))
    ri = 0
    for bi, rec in enumerate(bbc):
        real.append(("bbc", rec))
        while ri < len(reuters) and ri < (bi + 1) * ratio:
            real.append(("reuters", reuters[ri]))
            ri += 1
    real.extend(("reuters", r) for r in reuters[ri:])

    def byline():
        names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.choice([0, 1, 1, 2]))]
        return [{"name": name} for name in dict.fromkeys(names)]

    docs = []
    for kind, rec in real[:n]:
        if kind == "bbc":
            name = f"bbc/{rec['id']}.txt"
            docs.append(
                {
                    "name": name,
                    "title": rec["title"].strip(),
                    "body": rec["body"].strip(),
                    "outlet": "BBC News",
                    "published": None,
                    "credits": byline(),
                    "stance": rng.choice(stances),
                }
            )
        else:
            title = " ".join(rec["title"].split()).title()
            docs.append(
                {
                    "name": f"reuters/{rec['id']}.txt",
                    "title": title,
                    "body": reflow(rec["body"]),
                    "outlet": "Reuters",
                    "published": (rec.get("date") or "")[:10] or None,
                    "credits": byline(),
                    "stance": rng.choice(stances),
                }
            )
    if len(docs) < n:
        pool = []
        for _, rec in real:
            pool.extend(sentences_of(reflow(rec["body"]) if "oldid" in rec else rec["body"]))
        start = dt.date(2004, 1, 1)
        for i in range(len(docs), n):
            body_sents = rng.sample(pool, rng.randint(4, 14))
            paras = [" ".join(body_sents[j : j + 3]) for j in range(0, len(body_sents), 3)]
            title = " ".join(rng.choice(pool).split()[:10]).rstrip(".,;:")
            published = (start + dt.timedelta(days=rng.randrange(730))).isoformat() if rng.random() < 0.8 else None
            docs.append(
                {
                    "name": f"composed/{i:06d}.txt",
                    "title": title,
                    "body": "\n\n".join(paras),
                    "outlet": "Composite",
                    "published": published,
                    "credits": byline(),
                    "stance": rng.choice(stances),
                }
            )
    return docs


def document_bytes(doc: dict) -> bytes:
    return f"{doc['title']}\n\n{doc['body']}\n".encode()


# --- helpers -----------------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def stats_ms(values: list[float]) -> dict:
    return {"median": statistics.median(values) * 1000, "p95": pct(values, 0.95) * 1000, "max": max(values) * 1000}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def setup_environment(workdir: Path) -> dict:
    env = {
        "KZARCHIVE_DATA_DIR": str(workdir),
        "WHOOSH_PATH": str(workdir / "whoosh_index"),
        "DATABASE_URL": f"sqlite:///{workdir / 'kzarchive.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "kzarchive.settings",
        "HAYSTACK_URL": "",
        # Production-like serving: no debug, plain HTTP on loopback.
        "DEBUG": "0",
        "SECRET_KEY": "scale-benchmark-only-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    return env


# --- phases ------------------------------------------------------------------------------------------------


def publish(workdir: Path, name: str, results, text: str) -> None:
    """Print a benchmark's report and keep it, with its raw numbers, in the workdir (NAME.json, NAME.txt)."""
    print(text, flush=True)
    (workdir / f"{name}.json").write_text(json.dumps(results, indent=2, default=str))
    (workdir / f"{name}.txt").write_text(text + "\n")


def add_archive_arguments(ap: argparse.ArgumentParser, default_articles: int = 10000) -> None:
    """The options of a benchmark that runs against a composed archive (see `benchmark_archive`)."""
    ap.add_argument("--articles", type=int, default=default_articles)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--workdir", type=Path, default=None, help="default: a new temporary folder")
    ap.add_argument("--reuse", action="store_true", help="use --workdir's database and index as they are")
    ap.add_argument("--keep", action="store_true", help="keep a temporary workdir")


@contextlib.contextmanager
def benchmark_archive(args, prefix: str):
    """A migrated archive in --workdir (default: a temporary folder, removed afterwards unless --keep):
    --articles documents composed from --corpus, bulk filled and indexed, or with --reuse the archive
    already there. Yields the folder."""
    temp = args.workdir is None
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix=prefix)).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        setup_environment(workdir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        if not args.reuse:
            corpus = args.corpus if args.corpus.is_absolute() else Path.cwd() / args.corpus
            log(f"composing {args.articles} documents from {corpus}; bulk fill; rebuild_index")
            phase_bulk_fill(build_documents(corpus, args.articles))
            phase_rebuild()
        yield workdir
    finally:
        if temp and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def make_curated(docs):
    from articles.ingest import Curated

    base = Curated.load()
    sources = [{"name": n, "kind": "news"} for n in ("BBC News", "Reuters", "Composite")]
    entries = {}
    for d in docs:
        entry = {"outlet": d["outlet"], "credits": d["credits"]}
        if d["published"]:
            entry["published"] = d["published"]
        if d["stance"]:
            entry["stance"] = d["stance"]
        entries[d["name"]] = entry
    return Curated(base.stances, sources, entries)


def phase_ingest(docs, batch: int) -> dict:
    """kzarchive's own path: ingest_bytes per article; the on-commit reindex batched per transaction."""
    from django.db import transaction

    import articles.indexing.entries as sig
    from articles.ingest import FAILED, ingest_bytes

    curated = make_curated(docs)
    with transaction.atomic():
        curated.ensure_catalog()
    index_time = [0.0]
    original = sig.reindex_articles

    def timed(ids):
        t = time.perf_counter()
        original(ids)
        index_time[0] += time.perf_counter() - t

    sig.reindex_articles = timed
    failed = 0
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        for start in range(0, len(docs), batch):
            with transaction.atomic():
                for d in docs[start : start + batch]:
                    outcome = ingest_bytes(d["name"], document_bytes(d), curated=curated)
                    failed += outcome.status == FAILED
            if start and (start // batch) % 10 == 0:
                log(f"  ingested {start + batch}/{len(docs)}")
    finally:
        sig.reindex_articles = original
    elapsed = time.perf_counter() - t0
    return {
        "seconds": elapsed,
        "cpu": time.process_time() - c0,
        "index_seconds": index_time[0],
        "failed": failed,
        "per_s": len(docs) / elapsed,
    }


def phase_bulk_fill(docs, batch: int = 2000) -> dict:
    """NOT the ingest path: rows written with bulk_create (no extraction, no signals, no indexing), for
    sizes where ingest_bytes would take hours on a small machine. rebuild_index then does the indexing."""
    import hashlib

    from django.db import transaction
    from django.utils.text import slugify

    from articles.models import Article, Credit, Person, Source, StanceCategory

    curated = make_curated(docs)
    t0, c0 = time.perf_counter(), time.process_time()
    with transaction.atomic():
        curated.ensure_catalog()
    sources = {s.name: s for s in Source.objects.all()}
    stances = {s.slug: s for s in StanceCategory.objects.all()}
    names = sorted({c["name"] for d in docs for c in d["credits"]})
    with transaction.atomic():
        Person.objects.bulk_create([Person(name=n, slug=slugify(n)) for n in names], ignore_conflicts=True)
    people = {p.name: p for p in Person.objects.filter(name__in=names)}
    for start in range(0, len(docs), batch):
        chunk = docs[start : start + batch]
        rows = []
        for d in chunk:
            data = document_bytes(d)
            published = dt.date.fromisoformat(d["published"]) if d["published"] else None
            rows.append(
                Article(
                    title=d["title"][:500],
                    body=d["body"],
                    word_count=len(d["body"].split()),
                    source=sources.get(d["outlet"]),
                    stance=stances.get(d["stance"]) if d["stance"] else None,
                    published_date=published,
                    date_precision="day" if published else "unknown",
                    source_file=d["name"],
                    raw_bytes=data,
                    raw_text=data.decode(),
                    raw_encoding="utf-8",
                    sha256=hashlib.sha256(data).hexdigest(),
                    extractor="bulk",
                    language="en",
                )
            )
        with transaction.atomic():
            created = Article.objects.bulk_create(rows)
            Credit.objects.bulk_create(
                [
                    Credit(article=a, person=people[c["name"]], role="author", position=i)
                    for a, d in zip(created, chunk, strict=True)
                    for i, c in enumerate(d["credits"])
                ]
            )
    elapsed = time.perf_counter() - t0
    return {
        "seconds": elapsed,
        "cpu": time.process_time() - c0,
        "index_seconds": 0.0,
        "failed": 0,
        "per_s": len(docs) / elapsed,
        "path": "bulk",
    }


def phase_rebuild() -> dict:
    from django.core.management import call_command
    from haystack import connections

    t0, c0, cc0 = time.perf_counter(), time.process_time(), children_cpu()
    call_command("rebuild_index", interactive=False, verbosity=0)
    elapsed = time.perf_counter() - t0
    backend = connections["default"].get_backend()
    backend.index = backend.index.refresh()
    return {
        "seconds": elapsed,
        "cpu": time.process_time() - c0 + children_cpu() - cc0,
        "procs": backend.writer_procs,
        "docs": backend.index.doc_count(),
        "segments": len(backend.index._segments()),
    }


def prepared_documents() -> list[dict]:
    """The exact documents the backend writes (haystack's full_prepare + the backend's conversion)."""
    from haystack import connections

    backend = connections["default"].get_backend()
    index = connections["default"].get_unified_index().get_index(__import__("articles.models").models.Article)
    qs = index.index_queryset().order_by("pk")
    docs = []
    pks = list(qs.values_list("pk", flat=True))
    for start in range(0, len(pks), 1000):
        for obj in qs.filter(pk__in=pks[start : start + 1000]):
            doc = index.full_prepare(obj)
            doc.pop("boost", None)
            docs.append({k: backend._from_python(v) for k, v in doc.items()})
    return docs


def phase_raw_writer(docs, path: Path) -> dict:
    """The floor: plain Whoosh, same schema, same documents already prepared, one commit, with the
    fastest settings Whoosh offers: as many worker processes as kzarchive's bulk writer uses, each
    writing its own segment (procs, multisegment=True), and the same pool memory."""
    from haystack import connections
    from whoosh import index as windex

    from articles.whoosh.writing import BULK_LIMITMB

    backend = connections["default"].get_backend()
    procs = backend.writer_procs
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    t0, c0, cc0 = time.perf_counter(), time.process_time(), children_cpu()
    ix = windex.create_in(str(path), backend.schema)
    if procs > 1:
        writer = ix.writer(procs=procs, multisegment=True, limitmb=BULK_LIMITMB // procs)
    else:
        writer = ix.writer(limitmb=BULK_LIMITMB)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": time.process_time() - c0 + children_cpu() - cc0,
        "size": dir_size(path),
        "procs": procs,
    }


def children_cpu() -> float:
    """CPU seconds of this process's finished child processes (the bulk writers' workers)."""
    t = os.times()
    return t.children_user + t.children_system


def function_params():
    from articles.search import SearchParams

    return [(name, SearchParams(page_size=PAGE_SIZE, **kw)) for name, kw, *_ in QUERIES]


def time_calls(fn, items, reps: int) -> tuple[list[float], dict]:
    for _, item in items:  # warm-up: open searchers, fill caches of the first run
        fn(item)
    all_t, per = [], {}
    for _ in range(reps):
        for name, item in items:
            t = time.perf_counter()
            fn(item)
            d = time.perf_counter() - t
            all_t.append(d)
            per.setdefault(name, []).append(d)
    return all_t, {k: statistics.median(v) * 1000 for k, v in per.items()}


def phase_function(reps: int) -> dict:
    from articles.search import search_articles

    items = function_params()
    out = {}
    for label, kwargs in (("on", {}), ("off", {"with_facets": False, "with_snippets": False})):
        times, per = time_calls(lambda p, kw=kwargs: search_articles(p, **kw), items, reps)
        out[label] = {"stats": stats_ms(times), "per_query": per}
    counts = {name: search_articles(p).count for name, p in items}
    return {**out, "counts": counts}


def open_raw_whoosh(index_path: Path, facet_names) -> tuple:
    """(index, searcher, parser, facets): plain Whoosh on kzarchive's own index, parsing as the archive does
    and counting the named facets as Whoosh's own groupedby."""
    from haystack import connections
    from whoosh import index as windex
    from whoosh.fields import KEYWORD
    from whoosh.sorting import Count, FieldFacet

    from articles.whoosh.parsing import make_parser

    backend = connections["default"].get_backend()
    ix = windex.open_dir(str(index_path))
    parser = make_parser(backend.content_field_name, ix.schema)
    facets = [
        FieldFacet(f"{n}_exact", allow_overlap=ix.schema[f"{n}_exact"].__class__ is KEYWORD, maptype=Count)
        for n in facet_names
    ]
    return ix, ix.searcher(), parser, facets


def raw_whoosh(reps: int, index_path: Path) -> dict:
    """Raw Whoosh on one long-lived searcher: the same parsed query, filter, sort and page size."""
    from whoosh import query as wq
    from whoosh.sorting import FieldFacet, MultiFacet

    from articles.search import normalize_query

    ix, searcher, parser, facets = open_raw_whoosh(index_path, FACET_FIELDS)

    def prepared():
        items = []
        for name, kw, *_ in QUERIES:
            q = normalize_query(kw.get("q", ""))
            parsed = parser.parse(q) if q else wq.Every()
            flt = wq.Term("outlet_exact", kw["outlet"][0]) if kw.get("outlet") else None
            sort = kw.get("sort") or ("relevance" if q else "newest")
            # The same keys search_articles asks for: newest first, then title A-Z.
            sortedby = (
                MultiFacet([FieldFacet("date_desc", reverse=True), FieldFacet("title_sort")])
                if sort == "newest"
                else None
            )
            items.append((name, (parsed, flt, sortedby)))
        return items

    items = prepared()

    def run(item, with_facets):
        parsed, flt, sortedby = item
        page = searcher.search_page(
            parsed, 1, pagelen=PAGE_SIZE, filter=flt, sortedby=sortedby, groupedby=facets if with_facets else None
        )
        ids = [hit["id"] for hit in page]
        if with_facets:
            for f in facets:
                page.results.groups(f.default_name())
        return page.total, ids

    out = {}
    for label, wf in (("facets", True), ("plain", False)):
        times, per = time_calls(lambda it, wf=wf: run(it, wf), items, reps)
        out[label] = {"stats": stats_ms(times), "per_query": per}
    out["counts"] = {name: run(it, False)[0] for name, it in items}
    searcher.close()
    return out


def phase_fts5(path: Path, reps: int) -> dict:
    """The peer: SQLite FTS5 (porter stemming, accents folded) on the same titles and bodies."""
    from articles.models import Article

    if path.exists():
        path.unlink()
    con = sqlite3.connect(str(path))
    t0 = time.perf_counter()
    con.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(title, body, outlet UNINDEXED, pubdate UNINDEXED,"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    rows = (
        Article.objects.select_related("source")
        .order_by("pk")
        .values_list("pk", "title", "body", "source__name", "published_date")
    )
    with con:
        con.executemany(
            "INSERT INTO fts(rowid, title, body, outlet, pubdate) VALUES (?,?,?,?,?)",
            ((pk, t, b, o, d.isoformat() if d else "") for pk, t, b, o, d in rows.iterator(chunk_size=2000)),
        )
    build = time.perf_counter() - t0

    def run(item):
        match, outlet, by_date = item
        where, args = [], []
        if match:
            where.append("fts MATCH ?")
            args.append(match)
        if outlet:
            where.append("outlet = ?")
            args.append(outlet)
        w = (" WHERE " + " AND ".join(where)) if where else ""
        order = "pubdate DESC" if by_date else "bm25(fts, 2.0, 1.0)"
        snip = "snippet(fts, 1, '<mark>', '</mark>', '…', 40)" if match else "substr(body, 1, 300)"
        sql = f"SELECT rowid, title, {snip} FROM fts{w} ORDER BY {order} LIMIT {PAGE_SIZE}"
        page = con.execute(sql, args).fetchall()
        count = con.execute(f"SELECT count(*) FROM fts{w}", args).fetchone()[0]
        return count, page

    items = [(name, (m, o, d)) for name, _, m, o, d in QUERIES]
    times, per = time_calls(run, items, reps)
    counts = {name: run(it)[0] for name, it in items}
    con.close()
    return {
        "build_seconds": build,
        "size": path.stat().st_size,
        "stats": stats_ms(times),
        "per_query": per,
        "counts": counts,
    }


# --- HTTP --------------------------------------------------------------------------------------------------


class Server:
    def __init__(self, env: dict, workers: int):
        self.port = free_port()
        cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "kzarchive.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(
            cmd,
            cwd=str(REPO),
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _ = self.get("/api/search?q=&page_size=1")
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def get(self, path: str, timeout: float = 60, headers: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        try:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
            return [int(p) for p in out.split()]
        except FileNotFoundError:
            return []

    def peak_rss_mb(self) -> float:
        return max((m.get("VmHWM", float("nan")) for m in self.memory()), default=float("nan"))

    def memory(self) -> list[dict]:
        """Per process (workers, then master): VmHWM (peak), VmRSS, RssAnon (heap) and RssFile (mapped
        files, mostly the Whoosh index read through mmap: page cache the kernel can reclaim), in MB."""
        out = []
        for pid in self.worker_pids() + [self.proc.pid]:
            try:
                fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            except OSError:
                continue
            out.append(
                {k: int(fields[k].split()[0]) / 1024 for k in ("VmHWM", "VmRSS", "RssAnon", "RssFile") if k in fields}
            )
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # only this gunicorn master (and its workers) exits
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def query_url(base: str, kw: dict) -> str:
    params = [("q", kw.get("q", "")), ("page_size", str(PAGE_SIZE))]
    params += [("outlet", v) for v in kw.get("outlet", [])]
    if kw.get("sort"):
        params.append(("sort", kw["sort"]))
    return f"{base}?{urllib.parse.urlencode(params)}"


def phase_http(server: Server, reps: int) -> dict:
    out = {}
    for label, base in (("api", "/api/search"), ("html", "/search/")):
        items = [(name, query_url(base, kw)) for name, kw, *_ in QUERIES]
        errors = [0]

        def fetch(url, errors=errors):
            status, _ = server.get(url)
            errors[0] += status != 200

        for _ in range(3):  # both workers warm
            for _, url in items:
                fetch(url)
        errors[0] = 0
        times, per = time_calls(fetch, items, reps)
        out[label] = {"stats": stats_ms(times), "per_query": per, "errors": errors[0]}
    return out


def phase_visibility(server: Server) -> dict:
    """Milliseconds from the start of a save until /api/search on the running server finds it."""
    from articles.ingest import Curated, ingest_bytes
    from articles.models import Article

    def wait_for(term: str, t0: float) -> float:
        while time.perf_counter() - t0 < 30:
            status, body = server.get(f"/api/search?q={term}&page_size=1")
            if status == 200 and json.loads(body)["count"] >= 1:
                return (time.perf_counter() - t0) * 1000
            time.sleep(0.005)
        return float("inf")

    def probe(token: str) -> bytes:
        return f"Visibility probe {token}\n\nA new article about {token} and wheat.\n".encode()

    # One untimed save first: the first in a process loads Django's template engine for the index's text
    # template (~280 ms at 10,000 articles), which a serving worker has loaded long before anyone saves.
    warm = f"zqw{int(time.time())}"
    ingest_bytes(f"visibility/{warm}.txt", probe(warm), curated=Curated([], [], {}))
    wait_for(warm, time.perf_counter())
    token = f"zqx{int(time.time())}"
    t0 = time.perf_counter()
    ingest_bytes(f"visibility/{token}.txt", probe(token), curated=Curated([], [], {}))
    new_ms = wait_for(token, t0)
    edit_token = token + "edit"
    article = Article.objects.order_by("-pk").exclude(source_file__startswith="visibility/").first()
    t0 = time.perf_counter()
    article.title = f"{article.title} {edit_token}"
    article.save()
    edit_ms = wait_for(edit_token, t0)
    return {"new_ms": new_ms, "edit_ms": edit_ms}


def phase_load(server: Server, seconds: float, clients: int) -> dict:
    urls = [query_url(base, kw) for base in ("/api/search", "/search/") for _, kw, *_ in QUERIES]
    stop_at = time.perf_counter() + seconds
    done, errors, lat = [0], [0], []
    lock = threading.Lock()

    def client(i):
        k = i
        while time.perf_counter() < stop_at:
            url = urls[k % len(urls)]
            k += 1
            t = time.perf_counter()
            try:
                status, _ = server.get(url, timeout=60)
                ok = status == 200
            except OSError:
                ok = False
            with lock:
                done[0] += 1
                errors[0] += not ok
                lat.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - t0
    return {
        "requests": done[0],
        "errors": errors[0],
        "rps": done[0] / elapsed,
        "seconds": elapsed,
        **({"stats": stats_ms(lat)} if lat else {}),
    }


# --- session workload ----------------------------------------------------------------------------------------
# A researcher's session (issue 16): one query refined many times. Steps, from the first response's facets:
# new query (page 1, relevance), next page, sort by newest, + outlet, + year or author, chip removal (the
# outlet dropped), back (the first request again). "Refinements" are every step after the first.
SESSION_STEPS = ("first", "next page", "newest", "+outlet", "+year/author", "-outlet", "back")
# The scale.py queries with words (broad and narrow), each starting a session unfiltered by relevance
# (named by their text: "shares" and "election" start without the filter and sort of their QUERIES rows).
SESSION_QUERIES = [(kw["q"], kw["q"], match) for _, kw, match, *_ in QUERIES if kw.get("q")]
SESSION_WARM_QUERY = ("warm-up", "trade", "trade")  # run untimed on every fresh worker; not in the set
SESSION_FACETS = ("outlet", "author", "stance", "year")  # the facets the raw floor and FTS5 count


def session_plan(query: str, index: int) -> list[tuple[str, dict | None]]:
    """The seven requests of the session that starts with `query`, as SearchParams fields (None: a step
    this query cannot take, e.g. no second page). The facet values come from the first response."""
    from articles.models import UNKNOWN_VALUE
    from articles.search import SearchParams, search_articles

    first = search_articles(SearchParams(q=query, page_size=PAGE_SIZE))

    def top(name):
        values = [f for f in first.facets.get(name, []) if f.value != UNKNOWN_VALUE]
        return max(values, key=lambda f: (f.count, f.value)).value if values else None

    base = {"q": query, "page": 1, "sort": ""}
    outlet = top("outlet")
    # Every other session clicks a year, the others an author; the other one if the first has no value.
    kinds = ("year", "author") if index % 2 == 0 else ("author", "year")
    second = next(((k, v) for k in kinds if (v := top(k))), None)
    newest = {**base, "sort": "newest"}
    with_outlet = {**newest, "outlet": [outlet]} if outlet else None
    both = {**(with_outlet or newest), second[0]: [second[1]]} if second else None
    dropped = {**newest, second[0]: [second[1]]} if second else newest
    return list(
        zip(
            SESSION_STEPS,
            [base, {**base, "page": 2} if first.count > PAGE_SIZE else None, newest, with_outlet, both, dropped, base],
            strict=True,
        )
    )


def session_plans() -> dict:
    return {name: session_plan(q, i) for i, (name, q, _) in enumerate([*SESSION_QUERIES, SESSION_WARM_QUERY])}


def session_params(step: dict):
    from articles.search import SearchParams

    return SearchParams(page_size=PAGE_SIZE, **step)


def session_url(base: str, step: dict) -> str:
    params = [("q", step["q"]), ("page_size", str(PAGE_SIZE))]
    if step.get("page", 1) != 1:
        params.append(("page", str(step["page"])))
    if step.get("sort"):
        params.append(("sort", step["sort"]))
    for name in ("outlet", "author", "year"):
        params += [(name, v) for v in step.get(name, [])]
    return f"{base}?{urllib.parse.urlencode(params)}"


def session_metrics(samples: dict) -> dict:
    """first page, refinements (every step after the first), full facets: latency stats in ms."""
    refine = [t for step in SESSION_STEPS[1:] for t in samples.get(step, [])]
    out = {"first": stats_ms(samples["first"]), "refine": stats_ms(refine)}
    if samples.get("full"):
        out["full"] = stats_ms(samples["full"])
    if samples.get("counts"):
        out["counts"] = stats_ms(samples["counts"])
    out["per_step"] = {k: statistics.median(v) * 1000 for k, v in samples.items() if v}
    return out


def run_sessions(plans: dict, fn, samples: dict, *, first=None) -> None:
    """Every session's steps in order through fn(step name, step), timed into samples[step name]; `first`, when
    given, runs step 1 instead (a path that measures the first page apart from the full answer)."""
    for name, *_ in SESSION_QUERIES:
        for step_name, step in plans[name]:
            if step is None:
                continue
            call = first if step_name == "first" and first is not None else (lambda s, n=step_name: fn(n, s))
            t = time.perf_counter()
            call(step)
            samples.setdefault(step_name, []).append(time.perf_counter() - t)


def time_steps(plans: dict, run, reps: int) -> dict:
    """A peer's session steps (run(step, with_facets=True) -> (count, page)): one untimed warm-up pass
    (facet and sort columns read once), `reps` timed passes, then each step's count."""
    for name, *_ in [*SESSION_QUERIES, SESSION_WARM_QUERY]:
        for _, step in plans[name]:
            if step:
                run(step)
    samples = {}
    for _ in range(reps):
        run_full(plans, run, samples)
        run_sessions(plans, lambda _n, s: run(s), samples, first=lambda s: run(s, False))
    counts = {name: [run(step, False)[0] if step else None for _, step in plans[name]] for name, *_ in SESSION_QUERIES}
    return {**session_metrics(samples), "counts": counts}


def run_full(plans: dict, fn, samples: dict) -> None:
    """Every session's first request, answered in full (exact count, every facet): samples["full"]."""
    for name, *_ in SESSION_QUERIES:
        t = time.perf_counter()
        fn(plans[name][0][1])
        samples.setdefault("full", []).append(time.perf_counter() - t)


def query_cache_of_backend():
    """The serving backend's per-worker query cache (articles/whoosh/query_cache.py), or None on a build
    without one."""
    from haystack import connections

    return getattr(connections["default"].get_backend(), "_query_cache", None)


def new_generation() -> None:
    """A write to the index (a new article matching none of the session queries), so every worker's searcher
    has a new generation and every query is new to its query cache, as after any edit, without restarting
    anything: the workers stay warm (per-segment facet and sort caches) as in a serving archive."""
    from articles.ingest import Curated, ingest_bytes

    token = f"zqxsession{time.time_ns()}"
    ingest_bytes(
        f"session-probe/{token}.txt", f"Probe {token}\n\nProbe {token}.\n".encode(), curated=Curated([], [], {})
    )


def warm_session(plans: dict, run) -> None:
    """One untimed session of a query outside the set: the new searcher opened, its caches read."""
    for _, step in plans[SESSION_WARM_QUERY[0]]:
        if step is not None:
            run(step)


def phase_session_function(plans: dict, reps: int) -> dict:
    """Through search_articles, the cache off and on, interleaved rep by rep. Before each pass a write opens a
    new index generation (new_generation), so every session's first step is a new query. First page = the
    ranked page with its count and snippets, no facets (with_facets=False). Full facets = the complete
    answer (exact count, every facet) of a new query, in a pass of its own (cache off) before the sessions."""
    from django.conf import settings

    from articles.search import search_articles

    def full(step):
        return search_articles(session_params(step))

    had = getattr(settings, "KZARCHIVE_QUERY_CACHE", None)
    samples = {"off": {}, "on": {}}
    try:
        settings.KZARCHIVE_QUERY_CACHE = False
        warm_session(plans, full)
        for _ in range(reps):
            settings.KZARCHIVE_QUERY_CACHE = False
            new_generation()
            warm_session(plans, full)
            run_full(plans, full, samples["off"])
            for mode in ("off", "on"):
                settings.KZARCHIVE_QUERY_CACHE = mode == "on"
                new_generation()
                warm_session(plans, full)
                run_sessions(
                    plans,
                    lambda _n, s: full(s),
                    samples[mode],
                    first=lambda s: search_articles(session_params(s), with_facets=False),
                )
        cache = query_cache_of_backend()
        entries = len(cache) if cache is not None else None
    finally:
        if had is None:
            del settings.KZARCHIVE_QUERY_CACHE
        else:
            settings.KZARCHIVE_QUERY_CACHE = had
    counts = {}
    for name, *_ in SESSION_QUERIES:
        counts[name] = [
            search_articles(session_params(step), with_facets=False).count if step else None for _, step in plans[name]
        ]
    return {
        **{mode: session_metrics(s) for mode, s in samples.items()},
        "cache_present": cache is not None,
        "cache_entries": entries,
        "counts": counts,
    }


def phase_session_raw(plans: dict, reps: int, index_path: Path) -> dict:
    """The floor: every step done directly with Whoosh on kzarchive's own index, one long-lived searcher: the
    same parsed query, filters, sort and page, the four facets counted (groupedby) on every step as the
    archive does. First page: without facets; full facets: with them."""
    from whoosh import query as wq
    from whoosh.sorting import FieldFacet, MultiFacet

    from articles.search import normalize_query

    ix, searcher, parser, facets = open_raw_whoosh(index_path, SESSION_FACETS)
    newest = MultiFacet([FieldFacet("date_desc", reverse=True), FieldFacet("title_sort")])
    parsed = {}

    def run(step, with_facets=True):
        q = step["q"]
        if q not in parsed:
            parsed[q] = parser.parse(normalize_query(q))
        terms = [
            wq.Or([wq.Term(f"{name}_exact", v) for v in step[name]])
            for name in ("outlet", "author", "year")
            if step.get(name)
        ]
        page = searcher.search_page(
            parsed[q],
            step.get("page", 1),
            pagelen=PAGE_SIZE,
            filter=wq.And(terms) if terms else None,
            sortedby=newest if step.get("sort") == "newest" else None,
            groupedby=facets if with_facets else None,
        )
        ids = [hit["id"] for hit in page]
        if with_facets:
            for f in facets:
                page.results.groups(f.default_name())
        return page.total, ids

    result = time_steps(plans, run, reps)
    searcher.close()
    return result


def phase_session_fts5(plans: dict, reps: int, path: Path) -> dict:
    """The peer: the same steps as SQL, as a plain SQLite app would write them: an FTS5 table of titles and
    bodies (porter, accents folded) beside a table of each article's outlet, year, stance and date and one
    of its authors (rowid = article id). MATCH joined to them, WHERE outlet/year/author, ORDER BY bm25 or
    date, LIMIT/OFFSET; the exact count and the four facets' GROUP BY counts from the matches kept once in
    a temporary table. First page: the page and the count only."""
    from articles.models import UNKNOWN_VALUE, Article, Credit

    if path.exists():
        path.unlink()
    con = sqlite3.connect(str(path))
    t0 = time.perf_counter()
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2')")
    con.execute(
        "CREATE TABLE meta(id INTEGER PRIMARY KEY, title TEXT, outlet TEXT, year TEXT, stance TEXT, pubdate TEXT)"
    )
    con.execute("CREATE TABLE authors(id INTEGER, name TEXT)")
    rows = (
        Article.objects.order_by("pk")
        .values_list("pk", "title", "body", "source__name", "published_date", "stance__name")
        .iterator(chunk_size=2000)
    )
    with con:
        for pk, title, body, outlet, date, stance in rows:
            con.execute("INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", (pk, title, body))
            con.execute(
                "INSERT INTO meta VALUES (?,?,?,?,?,?)",
                (
                    pk,
                    title,
                    outlet or UNKNOWN_VALUE,
                    str(date.year) if date else UNKNOWN_VALUE,
                    stance or UNKNOWN_VALUE,
                    date.isoformat() if date else "",
                ),
            )
        authors = Credit.objects.filter(role="author").values_list("article_id", "person__name").distinct()
        con.executemany("INSERT INTO authors VALUES (?, ?)", authors.iterator(chunk_size=5000))
        con.execute(
            "INSERT INTO authors SELECT id, ? FROM meta WHERE id NOT IN (SELECT id FROM authors)", (UNKNOWN_VALUE,)
        )
        con.execute("CREATE INDEX authors_name ON authors(name, id)")
        con.execute("CREATE INDEX authors_id ON authors(id, name)")
    build = time.perf_counter() - t0
    match_of = {q: m for _, q, m in [*SESSION_QUERIES, SESSION_WARM_QUERY]}

    def where(step):
        clauses, args = ["fts MATCH ?"], [match_of[step["q"]]]
        for name in ("outlet", "year"):
            if step.get(name):
                clauses.append(f"meta.{name} IN ({','.join('?' * len(step[name]))})")
                args += step[name]
        if step.get("author"):
            names = ",".join("?" * len(step["author"]))
            clauses.append(f"meta.id IN (SELECT id FROM authors WHERE name IN ({names}))")
            args += step["author"]
        return " FROM fts JOIN meta ON meta.id = fts.rowid WHERE " + " AND ".join(clauses), args

    def run(step, with_facets=True):
        frm, args = where(step)
        order = "meta.pubdate DESC, meta.title" if step.get("sort") == "newest" else "bm25(fts, 2.0, 1.0)"
        offset = (step.get("page", 1) - 1) * PAGE_SIZE
        page = con.execute(
            f"SELECT fts.rowid, meta.title, snippet(fts, 1, '<mark>', '</mark>', '…', 40){frm}"
            f" ORDER BY {order} LIMIT {PAGE_SIZE} OFFSET {offset}",
            args,
        ).fetchall()
        if not with_facets:
            return con.execute(f"SELECT count(*){frm}", args).fetchone()[0], page
        con.execute("DROP TABLE IF EXISTS temp.m")
        con.execute(f"CREATE TEMP TABLE m AS SELECT meta.id, meta.outlet, meta.year, meta.stance{frm}", args)
        count = con.execute("SELECT count(*) FROM m").fetchone()[0]
        for name in ("outlet", "year", "stance"):
            con.execute(f"SELECT {name}, count(*) FROM m GROUP BY {name}").fetchall()
        con.execute("SELECT a.name, count(*) FROM m JOIN authors a ON a.id = m.id GROUP BY a.name").fetchall()
        return count, page

    result = time_steps(plans, run, reps)
    con.close()
    return {**result, "build_seconds": build, "size": path.stat().st_size}


def phase_session_http(plans: dict, reps: int, env: dict) -> dict:
    """Through HTTP, the HTML page /search/, on two servers of one gunicorn worker each, the query cache off in
    one and on in the other (the cache is per worker: with several, a refinement reaches the worker that ran
    its query only if routing is sticky). Before each pass a write opens a new index generation, so every
    session starts with a query new to the worker. First page = the HTML page of a new query, as served;
    full facets = the /api/search answer (exact count, every facet) of a new query, cache off."""
    errors = [0]

    def fetcher(server, base="/search/"):
        def fetch(step):
            status, _ = server.get(session_url(base, step))
            errors[0] += status != 200

        return fetch

    off = Server({**env, "KZARCHIVE_QUERY_CACHE": "0"}, workers=1)
    try:
        on = Server({**env, "KZARCHIVE_QUERY_CACHE": "1"}, workers=1)
    except BaseException:
        off.stop()
        raise
    samples = {"off": {}, "on": {}}
    deferred = 0
    try:
        for server in (off, on):
            warm_session(plans, fetcher(server))
        errors[0] = 0
        for _ in range(reps):
            new_generation()
            warm_session(plans, fetcher(off))
            run_full(plans, fetcher(off, "/api/search"), samples["off"])
            for mode, server in (("off", off), ("on", on)):
                new_generation()
                warm_session(plans, fetcher(server))
                fetch = fetcher(server)
                run_sessions(plans, lambda _n, s, f=fetch: f(s), samples[mode])
            new_generation()
            warm_session(plans, fetcher(on))
            deferred += run_script_sessions(plans, on, samples.setdefault("script", {}), errors)
        rss = {"on": on.peak_rss_mb(), "off": off.peak_rss_mb()}
        memory = on.memory()
    finally:
        on.stop()
        off.stop()
    return {
        **{mode: session_metrics(s) for mode, s in samples.items()},
        "errors": errors[0],
        "deferred_first_pages": deferred,
        "rss_mb": rss["on"],
        "rss_off_mb": rss["off"],
        "memory": memory,
    }


SCRIPT_COOKIE = {"Cookie": "kz_js=1"}  # what static/js/progressive.js sets (articles/progressive.py)


def run_script_sessions(plans: dict, server, samples: dict, errors: list) -> int:
    """Every session as a browser that runs static/js/progressive.js: each page with its cookie, so a new
    query's page is sent before its counts (timed as the step), and for such a page the counts it then fetches
    from the same address as JSON (timed as "counts", apart). Returns how many pages were sent before their
    counts."""
    deferred = 0
    for name, *_ in SESSION_QUERIES:
        for step_name, step in plans[name]:
            if step is None:
                continue
            url = session_url("/search/", step)
            t = time.perf_counter()
            status, body = server.get(url, headers=SCRIPT_COOKIE)
            samples.setdefault(step_name, []).append(time.perf_counter() - t)
            errors[0] += status != 200
            if b"data-counts-url" in body:
                deferred += 1
                t = time.perf_counter()
                status, _ = server.get(url, headers={**SCRIPT_COOKIE, "Accept": "application/json"})
                samples.setdefault("counts", []).append(time.perf_counter() - t)
                errors[0] += status != 200
    return deferred


def label_of(mode: str) -> str:
    return "with the script, cache on" if mode == "script" else f"cache {mode}"


def session_report(n: int, r: dict) -> str:
    s = r["session"]
    lines = []
    add = lines.append
    reps = s["reps"]
    add(
        f"\n=== kzarchive session workload: {n:,} articles, {len(SESSION_QUERIES)} queries x {reps} reps,"
        f" page size {PAGE_SIZE} ({r['workdir']}) ==="
    )
    add("Steps: " + ", ".join(SESSION_STEPS) + "; refinement = every step after the first")
    load = s.get("loadavg")
    if load:
        add(f"Load average (1, 5, 15 min) at start {load['start']}, at end {load['end']} on {os.cpu_count()} cores")
    fn = s["function"]
    cache_note = "" if fn["cache_present"] else "  (this build has no query cache: on = off)"
    raw, fts = s["raw_whoosh"], s["fts5"]
    add(
        f"\np95 ms (median)                        first page        refinement        full facets"
        f"   refine vs raw  vs FTS5{cache_note}"
    )

    def cell(m, key):
        return f"{m[key]['p95']:7.1f} ({m[key]['median']:6.1f})" if key in m else f"{'-':>16}"

    def row(label, m, ratios=True):
        ratio = ""
        if ratios:
            p95 = m["refine"]["p95"]
            ratio = f"   {p95 / raw['refine']['p95']:8.2f}x {p95 / fts['refine']['p95']:7.2f}x"
        add(f"  {label:<36} {cell(m, 'first')}  {cell(m, 'refine')}  {cell(m, 'full')}{ratio}")

    row("search_articles, cache off", fn["off"])
    row("search_articles, cache on", fn["on"])
    if "http" in s:
        row("HTTP /search/ (1 worker), cache off", s["http"]["off"])
        row("HTTP /search/ (1 worker), cache on", s["http"]["on"])
        if "script" in s["http"]:
            row("HTTP /search/ with the script, cache on", s["http"]["script"])
    row("raw Whoosh on the same index (floor)", raw, ratios=False)
    row("SQLite FTS5, same steps as SQL (peer)", fts, ratios=False)

    def ratio_line(label, m, key):
        if key not in m:
            return
        add(
            f"  {label:<44} {m[key]['p95'] / raw[key]['p95']:6.2f}x raw Whoosh,"
            f" {m[key]['p95'] / fts[key]['p95']:6.2f}x FTS5"
        )

    add("\np95 ratios, this run")
    for mode in ("off", "on"):
        ratio_line(f"search_articles first page, cache {mode}", fn[mode], "first")
        ratio_line(f"search_articles refinement, cache {mode}", fn[mode], "refine")
    ratio_line("search_articles full facets (new query)", fn["off"], "full")
    if "http" in s:
        for mode in ("off", "on", "script"):
            if mode in s["http"]:
                ratio_line(f"HTTP first page, {label_of(mode)}", s["http"][mode], "first")
                ratio_line(f"HTTP refinement, {label_of(mode)}", s["http"][mode], "refine")
        ratio_line("HTTP /api/search full facets (new query)", s["http"]["off"], "full")
        script = s["http"].get("script")
        if script and "counts" in script:
            add(
                f"  HTTP with the script: {s['http'].get('deferred_first_pages', 0)} pages sent before their counts;"
                f" the counts request that follows: p95 {script['counts']['p95']:.1f} ms"
                f" (median {script['counts']['median']:.1f})"
            )
    add(
        f"  refinement p95, cache on vs off: search_articles "
        f"{fn['on']['refine']['p95'] / fn['off']['refine']['p95']:.2f}x"
        + (f", HTTP {s['http']['on']['refine']['p95'] / s['http']['off']['refine']['p95']:.2f}x" if "http" in s else "")
    )

    paths = [("fn off", fn["off"]), ("fn on", fn["on"])]
    if "http" in s:
        paths += [("http off", s["http"]["off"]), ("http on", s["http"]["on"])]
        if "script" in s["http"]:
            paths.append(("http js", s["http"]["script"]))
    paths += [("raw", raw), ("fts5", fts)]
    add("\nPer step, median ms     " + "".join(f"{p:>10}" for p, _ in paths))
    for step in ("full", *SESSION_STEPS, "counts"):
        add(f"  {step:<22}" + "".join(f"{m['per_step'].get(step, float('nan')):10.1f}" for _, m in paths))
    add("\nHits per step (kzarchive / raw / FTS5; '-' = step not taken)")
    for name, *_ in SESSION_QUERIES:
        cells = []
        for k, r_, f_ in zip(fn["counts"][name], raw["counts"][name], fts["counts"][name], strict=True):
            cells.append("-" if k is None else f"{k}/{r_}/{f_}")
        add(f"  {name:<20} " + "  ".join(cells))
    if "http" in s:
        h = s["http"]
        add(
            f"\nServing worker RSS (peak VmHWM), cache on: {h['rss_mb']:.0f} MB; cache off: {h['rss_off_mb']:.0f} MB;"
            f" HTTP errors {h['errors']}"
        )
        for m in h.get("memory", [])[:-1]:
            add(
                f"  cache-on worker at the end: RSS {m.get('VmRSS', 0):.0f} MB = heap {m.get('RssAnon', 0):.0f} MB"
                f" + mapped files {m.get('RssFile', 0):.0f} MB (index pages, reclaimable)"
            )
    if fn.get("cache_entries") is not None:
        add(f"Query cache entries in the measuring process at the end: {fn['cache_entries']}")
    return "\n".join(lines)


def phase_session(workdir: Path, env: dict | None, reps: int) -> dict:
    """The whole session workload: plans from the first responses, then every path in this one run."""
    load_start = os.getloadavg()
    log("session workload: plans")
    plans = session_plans()
    out = {"reps": reps, "plans": plans}
    log("session: search_articles, cache off / on")
    out["function"] = phase_session_function(plans, reps)
    log("session: raw Whoosh on the same index")
    out["raw_whoosh"] = phase_session_raw(plans, reps, workdir / "whoosh_index")
    log("session: SQLite FTS5")
    out["fts5"] = phase_session_fts5(plans, reps, workdir / "session_fts5.sqlite3")
    if env is not None:
        log("session: HTTP, cache off / on")
        out["http"] = phase_session_http(plans, reps, env)
    out["loadavg"] = {
        "start": tuple(round(x, 2) for x in load_start),
        "end": tuple(round(x, 2) for x in os.getloadavg()),
    }
    return out


# --- report ------------------------------------------------------------------------------------------------


def fmt_lat(s: dict) -> str:
    return f"{s['median']:8.1f} {s['p95']:8.1f} {s['max']:8.1f}"


def report(n: int, r: dict) -> str:
    lines = []
    add = lines.append
    add(f"\n=== kzarchive scale benchmark: {n:,} articles ({r['workdir']}) ===")
    ing, reb, raw = r["ingest"], r["rebuild"], r["raw_writer"]
    add("\nBuild (wall s; CPU s incl. writer processes)   wall s    CPU s  articles/s  vs raw writer (wall, CPU)")

    def build_row(label, wall, cpu, note=""):
        vs = "    -      -" if raw.get("skipped") else f"{raw['seconds'] / wall:5.2f}x {raw['cpu'] / cpu:5.2f}x"
        add(f"  {label:<44} {wall:7.1f} {cpu:8.1f} {n / wall:10.1f}   {vs}{note}")

    if ing.get("reused") or raw.get("reused"):
        copied = "ingest, rebuild and raw writer" if reb.get("reused") else "ingest and raw writer"
        add(f"  ({copied} rows copied from the previous run in this folder: --reuse)")
    if ing.get("path") == "bulk":
        build_row("DB fill by bulk_create (NOT ingest; no index)", ing["seconds"], ing["cpu"])
    else:
        build_row(
            "ingest_bytes + on-commit index (batched)",
            ing["seconds"],
            ing["cpu"],
            f"  (index share {ing['index_seconds']:.1f} s wall, failed {ing['failed']})",
        )
    build_row(
        "rebuild_index (haystack, full)",
        reb["seconds"],
        reb["cpu"],
        f"  ({reb.get('segments')} segment(s), {reb.get('procs', 1)} writer process(es))",
    )
    if raw.get("skipped"):
        add(
            "  raw Whoosh writer (floor)                    skipped (--no-raw-writer); the raw search floor"
            " reads kzarchive's own index"
        )
    else:
        build_row(
            "raw Whoosh writer, prepared docs (floor)", raw["seconds"], raw["cpu"], f"  ({raw.get('procs', 1)} procs)"
        )
    if "fts5" in r:
        add(
            f"  {'SQLite FTS5 build (peer)':<44} {r['fts5']['build_seconds']:7.1f} {'':8} "
            f"{n / r['fts5']['build_seconds']:10.1f}"
        )
    raw_size = "skipped" if raw.get("skipped") else f"{raw['size'] / 1e6:.1f} MB"
    add(
        f"\nIndex on disk: kzarchive {r['index_size'] / 1e6:.1f} MB, raw writer {raw_size}"
        + (f", FTS5 {r['fts5']['size'] / 1e6:.1f} MB" if "fts5" in r else "")
        + f"; documents indexed {reb['docs']:,}"
    )

    fl_f = r["raw_whoosh"]["facets"]["stats"]
    fl_p = r["raw_whoosh"]["plain"]["stats"]
    add(
        f"\nSearch latency, ms ({len(QUERIES)} queries x {r['reps']} reps, page size {PAGE_SIZE})"
        "      median      p95      max   p95 vs floor"
    )
    rows = [
        ("search_articles, facets+snippets on", r["function"]["on"]["stats"], fl_f, "raw+facets"),
        ("search_articles, facets+snippets off", r["function"]["off"]["stats"], fl_p, "raw plain"),
    ]
    if "http" in r:
        rows += [
            ("/api/search over HTTP (gunicorn)", r["http"]["api"]["stats"], fl_f, "raw+facets"),
            ("/search/ HTML page over HTTP", r["http"]["html"]["stats"], fl_f, "raw+facets"),
        ]
    rows += [
        ("raw Whoosh + facets (floor)", fl_f, fl_f, "raw+facets"),
        ("raw Whoosh, page + count (floor)", fl_p, fl_p, "raw plain"),
    ]
    if "fts5" in r:
        rows.append(("SQLite FTS5 bm25 + snippet (peer)", r["fts5"]["stats"], fl_p, "raw plain"))
    for label, s, floor, fname in rows:
        add(f"  {label:<44} {fmt_lat(s)}   {s['p95'] / floor['p95']:5.2f}x {fname}")

    add("\nPer query, median ms         function(on) function(off)  raw+facets  raw plain   FTS5   hits(kz/raw/fts5)")
    for name, *_ in QUERIES:
        f_on = r["function"]["on"]["per_query"][name]
        f_off = r["function"]["off"]["per_query"][name]
        rf = r["raw_whoosh"]["facets"]["per_query"][name]
        rp = r["raw_whoosh"]["plain"]["per_query"][name]
        ft = r["fts5"]["per_query"][name] if "fts5" in r else float("nan")
        hits = f"{r['function']['counts'][name]}/{r['raw_whoosh']['counts'][name]}/" + (
            str(r["fts5"]["counts"][name]) if "fts5" in r else "-"
        )
        add(f"  {name:<26} {f_on:10.1f} {f_off:12.1f} {rf:11.1f} {rp:10.1f} {ft:7.1f}   {hits}")

    if "visibility" in r:
        v = r["visibility"]
        add(f"\nSaved -> searchable over HTTP: new article {v['new_ms']:.0f} ms, edited article {v['edit_ms']:.0f} ms")
    if "rss_mb" in r:
        add(f"Peak RSS of a serving gunicorn worker: {r['rss_mb']:.0f} MB")
        for m in r.get("memory", [])[:-1]:
            add(
                f"  worker now: RSS {m.get('VmRSS', 0):.0f} MB = heap {m.get('RssAnon', 0):.0f} MB"
                f" + mapped files {m.get('RssFile', 0):.0f} MB (index pages, reclaimable)"
            )
    if "load" in r:
        lo = r["load"]
        extra = ""
        if "stats" in lo:
            extra = f", latency median {lo['stats']['median']:.0f} ms p95 {lo['stats']['p95']:.0f} ms"
        add(
            f"Load: {r['load_clients']} clients x {lo['seconds']:.0f} s on 2 gunicorn workers: "
            f"{lo['requests']} requests, {lo['rps']:.1f} req/s, {lo['errors']} errors{extra}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=1000, help="archive size (1000, 10000, 100000)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with bbc-news/ and reuters-21578/")
    ap.add_argument("--workdir", type=Path, default=None, help="default: a new temporary folder")
    ap.add_argument("--quick", action="store_true", help="tiny smoke run: 60 articles, 1 rep, 2 s load test")
    ap.add_argument("--reps", type=int, default=None, help="repetitions of the query set (default 5; quick 1)")
    ap.add_argument("--batch", type=int, default=500, help="articles per ingest transaction (one index commit each)")
    ap.add_argument("--load-seconds", type=float, default=None, help="load test length (default 30; quick 2)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--no-http", action="store_true", help="skip the server, HTTP latency and load test")
    ap.add_argument(
        "--fill",
        choices=("ingest", "bulk"),
        default="ingest",
        help="ingest: ingest_bytes per article (default); bulk: bulk_create rows, NOT the ingest path "
        "(for 100k on a small machine), then rebuild_index indexes them",
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep --workdir's database and raw index from a previous run (its ingest and raw writer "
        "rows are copied, marked reused); rebuild and measure everything else again",
    )
    ap.add_argument(
        "--reuse-index",
        action="store_true",
        help="with --reuse: keep the index too (its rebuild row is copied) and measure only the searches, "
        "the server and the load test again, e.g. after a change to the search path",
    )
    ap.add_argument(
        "--no-raw-writer",
        action="store_true",
        help="skip the raw Whoosh writer build; the raw search floor then reads kzarchive's index",
    )
    ap.add_argument(
        "--workload",
        choices=("standard", "session", "both"),
        default="standard",
        help="standard: the query set, build rows and load test; session: a researcher's session (a query, next "
        "page, newest, two facet clicks, a chip removed, back) through search_articles and HTTP, the query cache "
        "off and on, against raw Whoosh and FTS5 (benchmarks/README.md, 'Session'); both: one after the other",
    )
    ap.add_argument("--keep", action="store_true", help="keep a temporary workdir")
    args = ap.parse_args(argv)
    standard = args.workload in ("standard", "both")
    if args.workload == "session":
        args.no_raw_writer = True  # the session's raw floor reads kzarchive's own index
    if args.quick:
        args.articles = min(args.articles, 60)
    reps = args.reps or (1 if args.quick else 5)
    load_seconds = args.load_seconds if args.load_seconds is not None else (2.0 if args.quick else 30.0)

    temp = args.workdir is None
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kzarchive-scale-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    previous = None
    if args.reuse:
        previous = json.loads((workdir / "results.json").read_text())
        args.articles = previous["articles"]
        (workdir / "results.json").rename(workdir / f"results-{time.strftime('%H%M%S')}.json")
    else:
        for stale in ("kzarchive.sqlite3", "kzarchive.sqlite3-wal", "kzarchive.sqlite3-shm", "whoosh_index"):
            p = workdir / stale
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    corpus = args.corpus if args.corpus.is_absolute() else (Path.cwd() / args.corpus)
    results: dict = {"workdir": str(workdir), "reps": reps, "articles": args.articles}
    try:
        env = setup_environment(workdir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        if previous:
            log("--reuse: the database of the previous run; its ingest and raw writer rows are copied")
            results["ingest"] = {**previous["ingest"], "reused": True}
        else:
            log(f"composing {args.articles} documents from {corpus}")
            docs = build_documents(corpus, args.articles)
            if args.fill == "bulk":
                log("DB fill by bulk_create (not the ingest path)")
                results["ingest"] = phase_bulk_fill(docs)
            else:
                log("ingest + index through articles.ingest.ingest_bytes")
                results["ingest"] = phase_ingest(docs, args.batch)
            del docs
        log(f"  {results['ingest']}")
        if previous and args.reuse_index:
            log("--reuse-index: the index of the previous run; its rebuild row is copied")
            results["rebuild"] = {**previous["rebuild"], "reused": True}
        else:
            log("rebuild_index")
            results["rebuild"] = phase_rebuild()
        results["index_size"] = dir_size(workdir / "whoosh_index")
        log(f"  {results['rebuild']}")
        raw_index = workdir / "raw_whoosh"
        if previous and not previous["raw_writer"].get("skipped") and raw_index.is_dir():
            results["raw_writer"] = {**previous["raw_writer"], "reused": True}
        elif args.no_raw_writer:
            results["raw_writer"] = {"skipped": True}
            raw_index = workdir / "whoosh_index"
        else:
            log("raw Whoosh writer (floor)")
            prepared = prepared_documents()
            results["raw_writer"] = phase_raw_writer(prepared, raw_index)
            del prepared
            log(f"  {results['raw_writer']}")
        if not args.no_http:
            call_command("collectstatic", interactive=False, verbosity=0)
        if args.workload in ("session", "both"):
            results["session"] = phase_session(workdir, None if args.no_http else env, reps)
            publish(workdir, "session", results, session_report(args.articles, results))
        if not standard:  # results.json too, for a later --reuse of this folder
            (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
            return 0
        log("search latency: search_articles")
        results["function"] = phase_function(reps)
        log("search latency: raw Whoosh")
        results["raw_whoosh"] = raw_whoosh(reps, raw_index)
        log("SQLite FTS5 peer")
        results["fts5"] = phase_fts5(workdir / "fts5.sqlite3", reps)
        if not args.no_http:
            log("HTTP: gunicorn, 2 workers")
            server = Server(env, workers=2)
            try:
                results["http"] = phase_http(server, reps)
                results["visibility"] = phase_visibility(server)
                if load_seconds > 0:
                    log(f"load test: {args.clients} clients, {load_seconds:.0f} s")
                    results["load"] = phase_load(server, load_seconds, args.clients)
                    results["load_clients"] = args.clients
                results["rss_mb"] = server.peak_rss_mb()
                results["memory"] = server.memory()
            finally:
                server.stop()
        text = report(args.articles, results)
        publish(workdir, "results", results, text)
    finally:
        if temp and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
