"""Several OS processes create, edit and delete articles at once, against one database and one Whoosh index.

Afterwards the index must say exactly what the database says (articles.indexing.check), and no process may
have seen a Whoosh LockError. The processes use a real database of their own, independent of
pytest-django's test database (which they could not see): a SQLite file, or, when DATABASE_URL points at
PostgreSQL (tests/run_postgres.py), a fresh database on that server.

`fresh_archive` (tests/fresh_archive.py, a fixture in tests/conftest.py) is such a separate archive.
"""

from __future__ import annotations

import json
import time

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
