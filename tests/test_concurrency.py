"""Several OS processes create, edit and delete articles at once, against one database and one Whoosh index.

Afterwards the index must say exactly what the database says (articles.indexing.check), and no process may
have seen a Whoosh LockError. The processes use a real database of their own, independent of
pytest-django's test database (which they could not see): a SQLite file, or, when DATABASE_URL points at
PostgreSQL (tests/run_postgres.py), a fresh database on that server.

`FreshArchive` (also used by tests/test_backup.py) is such a separate archive, driven through subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import environ
import pytest

REPO = Path(__file__).resolve().parent.parent


class FreshArchive:
    """An archive of its own (database + Whoosh index in a temp folder), used only through subprocesses."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pg_name = None
        outer = os.environ.get("DATABASE_URL", "")
        if outer.startswith(("postgres://", "postgresql://")):
            self.pg = environ.Env.db_url_config(outer)
            self.pg_name = f"kzarchive_fresh_{uuid.uuid4().hex[:12]}"
            self._admin(f'CREATE DATABASE "{self.pg_name}"')
            url = outer.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            url = f"sqlite:///{folder / 'archive.sqlite3'}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kzarchive.settings",
            "DATABASE_URL": url,
            "KZARCHIVE_DATA_DIR": str(folder / "var"),
            "WHOOSH_PATH": str(folder / "whoosh"),
            "PYTHONPATH": str(REPO),
        }
        self.env.pop("HAYSTACK_URL", None)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.pg["HOST"],
            port=self.pg["PORT"] or 5432,
            user=self.pg["USER"],
            password=self.pg["PASSWORD"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=REPO,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def python(self, code: str, *args: str, timeout: float = 120) -> str:
        """Run Django code in the archive (after django.setup()); return its stdout."""
        prelude = "import django; django.setup()\n"
        proc = subprocess.run(
            [sys.executable, "-c", prelude + code, *args],
            cwd=REPO,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise AssertionError(f"subprocess exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def popen(self, code: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", "import django; django.setup()\n" + code, *args],
            cwd=REPO,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def close(self) -> None:
        if self.pg_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self.pg_name = None


@pytest.fixture
def fresh_archive(tmp_path):
    archive = FreshArchive(tmp_path)
    try:
        archive.manage("migrate", "--noinput")
        yield archive
    finally:
        archive.close()


SETUP = """
from haystack import connections
from articles.models import Source, StanceCategory
connections["default"].get_backend().setup()   # create the index once, before the writers start
for n in range(3):
    Source.objects.create(name=f"Outlet {n}")
StanceCategory.objects.create(name="Analytical", description="Weighs the evidence.")
"""

WORKER = r"""
import hashlib, random, sys, time
from django.db import transaction
from articles.models import Article, Credit, Person, Source, StanceCategory, Tag

wid, ops = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(wid)
sources = list(Source.objects.order_by("pk").values_list("pk", flat=True))
stance = StanceCategory.objects.get()
mine, done = [], {"create": 0, "edit": 0, "edit-other": 0, "rename-outlet": 0, "delete": 0}
for i in range(ops):
    roll = rng.random()
    if roll < 0.45 or not mine:
        body = f"Report {wid}-{i} on the steppe, quarry{wid} and pasture{i % 7}.\n\nSecond paragraph {rng.random()}."
        raw = body.encode()
        with transaction.atomic():
            a = Article.objects.create(
                title=f"Worker {wid} article {i}", body=body, source_id=rng.choice(sources),
                source_file=f"w{wid}/{i}.txt", raw_bytes=raw, raw_text=body,
                sha256=hashlib.sha256(raw).hexdigest(), stance=stance if i % 2 else None,
            )
            person, _ = Person.objects.get_or_create(name=f"Author {rng.randrange(6)}")
            Credit.objects.create(article=a, person=person)
            a.tags.set([Tag.objects.get_or_create(name=f"tag {rng.randrange(5)}")[0]])
        mine.append(a.pk)
        done["create"] += 1
    elif roll < 0.65:
        with transaction.atomic():
            a = Article.objects.select_for_update().get(pk=rng.choice(mine))
            a.title = f"Worker {wid} article edited at {i}"
            a.save()
            a.tags.add(Tag.objects.get_or_create(name=f"edited by {wid}")[0])
        done["edit"] += 1
    elif roll < 0.8:
        # Someone else's article (or a just-deleted one: then nothing happens).
        with transaction.atomic():
            a = Article.objects.select_for_update().exclude(pk__in=mine).order_by("?").first()
            if a is not None:
                a.title = a.title.split(" (")[0] + f" (touched by {wid})"
                a.save()
                person, _ = Person.objects.get_or_create(name=f"Editor {wid}")
                Credit.objects.get_or_create(article=a, person=person, role="editor")
        done["edit-other"] += 1
    elif roll < 0.88:
        # Renaming an outlet reindexes every article it has, including other workers'.
        with transaction.atomic():
            s = Source.objects.select_for_update().get(pk=rng.choice(sources))
            s.name = s.name.split(" /")[0] + f" / renamed by {wid} at {i}"
            s.save()
        done["rename-outlet"] += 1
    else:
        # In one transaction, the row locked first: another worker's credit cannot sneak in between
        # Django collecting the article's credits and deleting the article.
        pk = mine.pop(rng.randrange(len(mine)))
        with transaction.atomic():
            Article.objects.select_for_update().filter(pk=pk).first().delete()
        done["delete"] += 1
print(done)
"""

WORKERS = 4
OPS = 30


def test_concurrent_writers_leave_index_exactly_matching_database(fresh_archive):
    fresh_archive.python(SETUP)
    started = time.monotonic()
    procs = [fresh_archive.popen(WORKER, str(w), str(OPS)) for w in range(WORKERS)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outputs.append((proc.returncode, out, err))
    elapsed = time.monotonic() - started
    for code, _out, err in outputs:
        assert "LockError" not in err, err
        assert code == 0, err
    print(f"{WORKERS} writers x {OPS} operations in {elapsed:.1f} s: {[o[1].strip() for o in outputs]}")

    proc = fresh_archive.manage("check_index", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "missing: 0, stale: 0, orphaned: 0" in proc.stdout

    # And the index answers like the database: every surviving article is found by its own words.
    summary = json.loads(
        fresh_archive.python(
            "import json\n"
            "from haystack.query import SearchQuerySet\n"
            "from articles.models import Article\n"
            "db = sorted(Article.objects.values_list('pk', flat=True))\n"
            "found = sorted(int(r.pk) for r in SearchQuerySet().filter(content='steppe')[:10000])\n"
            "print(json.dumps({'db': db, 'found': found}))\n"
        )
    )
    assert summary["db"] and summary["found"] == summary["db"]
