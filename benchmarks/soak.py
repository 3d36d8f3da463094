#!/usr/bin/env python
"""Fault-and-load harness (issue 11): readers, writers and a full rebuild against gunicorn, on loopback.

    .venv/bin/python benchmarks/soak.py                      # 300 s, ../shared/corpora
    nice .venv/bin/python benchmarks/soak.py --duration 60 --articles 300

A throwaway archive (SQLite, Whoosh, static files in a temporary folder; var/ is never touched) is filled
with --articles files of the corpus and served by gunicorn (2 workers, DEBUG=0, 127.0.0.1 only). For
--duration seconds:
- 8 readers loop over plain, phrase, fuzzy, facet and hostile queries (`e~9`, `a~99999999999`, `a*`,
  unbalanced brackets, ...) through /api/search; reader 0 also asks for the sentinel word;
- 2 writers (Django processes) ingest more corpus files, edit titles, delete what they ingested and
  rename outlets; writer 0 adds and removes the sentinel word in titles and reports the database's true
  count after each change; part way through, `rebuild_index` runs once.
A sentinel answer is checked only when no sentinel change and no rebuild overlapped its request (the
index then must say exactly what the database says). It reports 5xx responses, wrong sentinel counts,
reader latency p50/p95/p99, and `check_index` at the end (after the writers stop). Exit 1 on any 5xx,
wrong count or unclean check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora"
SENTINEL = "zqsentinel"
QUERIES = {
    "plain": ["government", "protest", "Tokayev", "market prices", "election"],
    "phrase": ['"prime minister"', '"the government"', '"interest rates"'],
    "fuzzy": ["goverment~", "Nazarbayev~1", "elektion~2"],
    "facet": [""],  # with an outlet filter taken from the facets
    "hostile": ["e~9", "a~99999999999", "a*", "((((government", '"unclosed phrase', "*", "title:", "a~9 b~9 c~9"],
}

WRITER = r"""
import json, random, sys, time
from pathlib import Path
from django.db import transaction
from articles.ingest import ingest_paths
from articles.models import Article, Source

wid, stop_file, files = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
rng = random.Random(wid)
SENT = "zqsentinel"
mine = []
def say(**kw):
    print(json.dumps(kw), flush=True)
while not stop_file.exists():
    roll = rng.random()
    try:
        if roll < 0.3 and files:
            before = set(Article.objects.values_list("pk", flat=True))
            ingest_paths([Path(files.pop())])
            mine += sorted(set(Article.objects.values_list("pk", flat=True)) - before)
            say(op="ingest")
        elif roll < 0.6 and wid == 0:
            say(op="sentinel-begin")
            a = Article.objects.order_by("?").first()
            a.title = a.title.replace(" " + SENT, "") if SENT in a.title else a.title + " " + SENT
            a.save()
            say(op="sentinel-end", count=Article.objects.filter(title__contains=SENT).count())
            time.sleep(1.0)  # a quiet second in which the readers' sentinel answers can be checked
        elif roll < 0.75:
            with transaction.atomic():
                a = Article.objects.select_for_update().exclude(title__contains=SENT).order_by("?").first()
                a.title = a.title.split(" [")[0] + f" [w{wid}]"
                a.save()
            say(op="edit")
        elif roll < 0.85 and mine:
            if wid == 0:
                say(op="sentinel-begin")
            Article.objects.filter(pk=mine.pop(rng.randrange(len(mine)))).delete()
            say(op="sentinel-end" if wid == 0 else "delete", count=Article.objects.filter(title__contains=SENT).count())
        elif roll < 0.9:
            s = Source.objects.order_by("?").first()
            if s is not None:
                s.name = s.name.split(" /")[0] + f" /{wid}-{time.monotonic_ns()}"
                s.save()
                say(op="rename")
        else:
            time.sleep(0.05)
    except Exception as exc:
        say(op="error", error=f"{type(exc).__name__}: {exc}")
say(op="done")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Soak:
    def __init__(self, args):
        self.args = args
        self.folder = Path(tempfile.mkdtemp(prefix="kzsoak-"))
        self.env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HAYSTACK_URL"}}
        self.env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            KZARCHIVE_DATA_DIR=str(self.folder / "var"),
            WHOOSH_PATH=str(self.folder / "whoosh"),
            DATABASE_URL=f"sqlite:///{self.folder / 'archive.sqlite3'}",
            DJANGO_SETTINGS_MODULE="kzarchive.settings",
            WHOOSH_WRITER_PROCS="1",
        )
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.five_xx: list[str] = []
        self.wrong: list[str] = []
        self.sentinel_checked = 0
        self.sentinel = {"count": 0, "version": 0, "busy": False}
        self.rebuilding = False
        self.writer_events: dict[str, int] = {}
        self.stop = threading.Event()

    def manage(self, *args, check=True):
        proc = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True
        )
        if check and proc.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def get(self, path: str):
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        return status, body, time.perf_counter() - started

    def reader(self, n: int, outlets: list[str]) -> None:
        rng = random.Random(n)
        while not self.stop.is_set():
            if n == 0 and rng.random() < 0.5:
                self.check_sentinel()
                continue
            kind = rng.choice(list(QUERIES))
            q = rng.choice(QUERIES[kind])
            params = {"q": q}
            if kind == "facet" and outlets:
                params["outlet"] = rng.choice(outlets)
            status, body, took = self.get("/api/search?" + urllib.parse.urlencode(params))
            self.record(status, took, f"{kind} {q!r}", body)

    def record(self, status: int, took: float, what: str, body: bytes) -> None:
        with self.lock:
            self.latencies.append(took)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status >= 500:
                self.five_xx.append(f"{status} {what}: {body[:200]!r}")

    def check_sentinel(self) -> None:
        with self.lock:
            before = (self.sentinel["version"], self.sentinel["busy"], self.rebuilding)
            expected = self.sentinel["count"]
        status, body, took = self.get(f"/api/search?q={SENTINEL}&page_size=1")
        self.record(status, took, "sentinel", body)
        with self.lock:
            after = (self.sentinel["version"], self.sentinel["busy"], self.rebuilding)
        if status != 200 or before != after or before[1] or before[2]:
            return
        count = json.loads(body)["count"]
        with self.lock:
            self.sentinel_checked += 1
            if count != expected:
                self.wrong.append(f"sentinel: index says {count}, database {expected}")

    def follow_writer(self, proc) -> None:
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            op = event["op"]
            with self.lock:
                self.writer_events[op] = self.writer_events.get(op, 0) + 1
                if op == "sentinel-begin":
                    self.sentinel["busy"] = True
                    self.sentinel["version"] += 1
                elif op == "sentinel-end":
                    self.sentinel.update(count=event["count"], busy=False)
                    self.sentinel["version"] += 1
                elif op == "error":
                    self.writer_events.setdefault("errors", 0)
                    print("writer error:", event["error"], file=sys.stderr)

    def run(self) -> int:
        args = self.args
        files = sorted(
            str(p)
            for p in Path(args.corpus).rglob("*")
            if p.suffix.lower() in (".txt", ".html", ".htm") and p.is_file()
        )
        if len(files) < args.articles + 20:
            raise SystemExit(f"{args.corpus}: {len(files)} files, need at least {args.articles + 20}")
        random.Random(1).shuffle(files)
        initial, later = files[: args.articles], files[args.articles :]
        print(f"archive in {self.folder}: ingesting {len(initial)} files...", flush=True)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        batch = self.folder / "initial"
        batch.mkdir()
        for i, name in enumerate(initial):
            shutil.copy(name, batch / f"{i:05d}{Path(name).suffix}")
        self.manage("ingest", str(batch), "--quiet", check=False)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        log = (self.folder / "gunicorn.log").open("w")
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "kzarchive.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--no-control-socket", "-t", "120"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        writers = []
        stop_file = self.folder / "stop-writers"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    status, body, _ = self.get("/api/search?q=&page_size=1")
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.3)
            data = json.loads(body)
            outlets = [f["value"] for f in data["facets"].get("outlet", []) if f["value"] != "(unknown)"][:5]
            print(f"serving {data['count']} articles on {self.base}; soaking {args.duration} s", flush=True)
            halves = [later[0::2], later[1::2]]
            for wid in (0, 1):
                proc = subprocess.Popen(
                    [sys.executable, "-c", "import django; django.setup()\n" + WRITER, str(wid), str(stop_file),
                     *halves[wid][:2000]],
                    cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                )  # fmt: skip
                writers.append(proc)
                threading.Thread(target=self.follow_writer, args=(proc,), daemon=True).start()
            readers = [threading.Thread(target=self.reader, args=(n, outlets), daemon=True) for n in range(8)]
            for t in readers:
                t.start()
            started = time.monotonic()
            time.sleep(args.duration * 0.4)
            with self.lock:
                self.rebuilding = True
            rebuild_started = time.monotonic()
            rebuild_proc = subprocess.Popen(
                [sys.executable, "manage.py", "rebuild_index", "--noinput", "-v0"],
                cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            while rebuild_proc.poll() is None and time.monotonic() - started < args.duration:
                time.sleep(0.5)
            stop_file.touch()  # the writers stop at the end even if the rebuild has not finished
            for proc in writers:
                proc.wait(timeout=300)
            rebuild_out, _ = rebuild_proc.communicate(timeout=600)
            rebuild_took = time.monotonic() - rebuild_started
            rebuild = subprocess.CompletedProcess(rebuild_proc.args, rebuild_proc.returncode, rebuild_out)
            with self.lock:
                self.rebuilding = False
            time.sleep(max(0.0, args.duration - (time.monotonic() - started)))
            self.stop.set()
            for t in readers:
                t.join(timeout=120)
            self.manage("process_index_queue", check=False)
            check = self.manage("check_index", "--quiet", check=False)
        finally:
            stop_file.touch()
            self.stop.set()
            server.terminate()
            server.wait(timeout=30)
            log.close()
        lat = self.latencies
        print(f"requests: {len(lat)} ({', '.join(f'{k}: {v}' for k, v in sorted(self.statuses.items()))})")
        print(f"5xx: {len(self.five_xx)}")
        for line in self.five_xx[:10]:
            print("  " + line)
        print(f"wrong sentinel counts: {len(self.wrong)} of {self.sentinel_checked} checked")
        for line in self.wrong[:10]:
            print("  " + line)
        print(
            f"reader latency: p50 {percentile(lat, 50) * 1000:.0f} ms, p95 {percentile(lat, 95) * 1000:.0f} ms, "
            f"p99 {percentile(lat, 99) * 1000:.0f} ms, max {max(lat, default=0) * 1000:.0f} ms"
        )
        print(f"writer operations: {json.dumps(self.writer_events, sort_keys=True)}")
        print(
            f"rebuild_index part way: exit {rebuild.returncode}, {rebuild_took:.1f} s "
            f"(started at {args.duration * 0.4:.0f} s)"
        )
        print(f"check_index at the end (exit {check.returncode}): {check.stdout.strip().splitlines()[-2:]}")
        ok = not self.five_xx and not self.wrong and check.returncode == 0 and rebuild.returncode == 0
        if args.keep:
            print(f"kept {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
        return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="folder of .txt/.html files")
    parser.add_argument("--articles", type=int, default=1000, help="files ingested before the load (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive and gunicorn.log")
    return Soak(parser.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
