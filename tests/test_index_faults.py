"""One test per index fault, against a real production server: gunicorn, 2 workers, DEBUG=0 (issue 11).

Each fault ends in a clear error (503, JSON under /api/) or a correct answer, never a 500 or a wrong count,
and the server recovers without a restart. The archive (database, index, collected static files) is the
five seed articles, shared by the module's tests; each test leaves the index repaired.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_index_queue import read_only
from tests.test_security import _free_port

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "fixtures" / "seeds"
WORD = "Tokayev"


class Server:
    def __init__(self, folder: Path):
        self.folder = folder
        self.index = folder / "whoosh"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "HAYSTACK_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            KZARCHIVE_DATA_DIR=str(folder / "var"),
            WHOOSH_PATH=str(self.index),
            DATABASE_URL=f"sqlite:///{folder / 'archive.sqlite3'}",
            DJANGO_SETTINGS_MODULE="kzarchive.settings",
            PYTHONDONTWRITEBYTECODE="1",
            WHOOSH_WRITER_PROCS="1",
        )
        self.env = env
        self.proc = None
        self.base = ""

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=180
        )
        if check and proc.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def python(self, code: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def start(self) -> None:
        port = _free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = (self.folder / "gunicorn.log").open("w")
        self.proc = subprocess.Popen(
            [str(gunicorn), "kzarchive.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--no-control-socket", "-t", "60"],
            cwd=REPO,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("/api/search?q=")[0] == 200:
                    return
            except OSError:
                pass
            assert self.proc.poll() is None, (self.folder / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.log.close()

    def get(self, path: str) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def count(self, q: str = WORD) -> tuple[int, int | None]:
        status, _, body = self.get(f"/api/search?q={q}&page_size=1")
        return status, (json.loads(body)["count"] if status == 200 else None)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("faults"))
    srv.manage("migrate", "--noinput", "-v0")  # makes the index: the archive is empty
    srv.manage("collectstatic", "--noinput", "-v0")
    srv.manage("ingest", str(SEEDS), "--quiet")
    srv.start()
    status, expected = srv.count()
    assert status == 200 and expected > 0
    srv.expected = expected
    srv.articles = json.loads(srv.get("/api/search?q=&page_size=100")[2])["count"]
    yield srv
    srv.stop()


def assert_clear_or_correct(srv: Server, rounds: int = 10) -> list[int]:
    """Every answer is a 503 that says so or the right count (never a 500, never a wrong count)."""
    statuses = []
    for _ in range(rounds):
        status, count = srv.count()
        statuses.append(status)
        assert status in (200, 503), status
        if status == 200:
            assert count == srv.expected
        status, ctype, body = srv.get("/search/?q=" + WORD)
        assert status in (200, 503), status
        if status == 503:
            assert b"Search is unavailable" in body
    return statuses


def assert_recovered(srv: Server) -> None:
    for _ in range(6):  # both workers
        assert srv.count() == (200, srv.expected)
        assert srv.get("/search/?q=" + WORD)[0] == 200
    assert srv.manage("check_index", "--quiet").returncode == 0


def statuses_while(server, proc: subprocess.Popen, also=None) -> list[int]:
    """Search again and again (and check `also()`) while another process runs, which must then exit 0;
    the statuses the searches got."""
    statuses = []
    while proc.poll() is None:
        statuses += assert_clear_or_correct(server, rounds=1)
        assert also is None or also()
    assert proc.returncode == 0, proc.stderr.read()
    return statuses


def test_segments_merged_away_under_live_searchers(server):
    """Another process saves and merges while both workers search: no 500, no wrong count."""
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            "from whoosh.index import open_dir\n"
            "from haystack import connections\n"
            "from articles.models import Article\n"
            "backend = connections['default'].get_backend(); backend.setup()\n"
            "for i in range(6):\n"
            "    for a in Article.objects.all():\n"
            "        a.title = a.title.split(' [')[0] + f' [edit {i}]'; a.save()\n"
            "    with backend.write_lock():\n"
            "        open_dir(backend.path, schema=backend.schema).writer(compound=False).commit(optimize=True)\n",
        ],
        cwd=REPO,
        env=server.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    statuses = statuses_while(server, writer, also=lambda: server.get("/articles/1/")[0] == 200)
    assert statuses and set(statuses) == {200}, statuses
    assert_recovered(server)


def test_corrupted_segment(server):
    server.count()
    # Segments of rebuilds and merges are plain files; a save's or an ingest batch's is one compound file.
    damaged = [p for p in server.index.iterdir() if p.name.endswith(("._stored.col", ".trm", ".seg"))]
    assert damaged
    for path in damaged:
        size = path.stat().st_size
        with path.open("r+b") as handle:  # in place, never truncated: the workers have it mapped
            handle.seek(size // 2)
            handle.write(bytes((i * 131 + 7) % 251 for i in range(size - size // 2)))
    assert_clear_or_correct(server)  # whichever the damaged bytes allow: a 503 or the right count
    check = server.manage("check_index", "--quiet", check=False)
    assert check.returncode == 1
    assert "damaged" in check.stderr and "Traceback" not in check.stderr and len(check.stderr.strip().splitlines()) == 1
    server.manage("check_index", "--repair", "--quiet")
    assert_recovered(server)


def test_index_folder_removed(server):
    shutil.rmtree(server.index)
    status, ctype, body = server.get("/api/search?q=" + WORD)
    assert status == 503 and ctype == "application/json" and "missing" in json.loads(body)["error"]
    status, _, body = server.get("/search/?q=" + WORD)
    assert status == 503 and b"search index is missing" in body
    assert server.get("/articles/1/")[0] == 200  # the article is in the database; only more-like-this waits
    edit = server.python("from articles.models import Article\na = Article.objects.get(pk=1); a.save()\nprint('saved')")
    assert "saved" in edit.stdout, edit.stderr  # the save stands, and no one-article index appears
    assert not server.index.exists()
    assert server.count()[0] == 503
    server.manage("check_index", "--repair", "--quiet", check=False)
    assert_recovered(server)


def test_read_only_index(server):
    with read_only(server.index):
        assert_clear_or_correct(server, rounds=4)
        assert set(assert_clear_or_correct(server, rounds=4)) == {200}  # reading needs no write access
        edit = server.python(
            "from articles.models import Article\na = Article.objects.get(pk=1)\n"
            "a.title = 'Zyzzyva read-only edit'; a.save()\nprint('saved')"
        )
        assert "saved" in edit.stdout and edit.returncode == 0, edit.stderr  # the outbox keeps the update
        assert server.count("Zyzzyva") == (200, 0)  # not searchable yet: queued
    server.manage("check_index", "--repair", "--quiet")
    assert server.count("Zyzzyva") == (200, 1)
    assert_recovered(server)


def test_rebuild_under_a_running_server(server):
    rebuild = subprocess.Popen(
        [sys.executable, "manage.py", "rebuild_index", "--noinput", "-v0"],
        cwd=REPO,
        env=server.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    statuses = statuses_while(server, rebuild)
    assert set(statuses) <= {200}, statuses
    assert_recovered(server)


def test_overlong_request_line_under_gunicorn(server):
    """Not an index fault; it needs the same production server. Between the archive's limit (6,144 bytes) and
    gunicorn's (8,190) the API answers 414 as JSON; past gunicorn's, gunicorn answers itself, not as JSON."""
    target = "/api/search?q=" + WORD + "&pad="
    line = len("GET ") + len(target) + len(" HTTP/1.1")
    status, ctype, body = server.get(target + "x" * (7000 - line))
    assert (status, ctype) == (414, "application/json"), (status, ctype, body[:200])
    assert json.loads(body) == {
        "error": "The request line is 7,000 bytes; the archive takes at most 6,144.",
        "status": 414,
    }
    status, ctype, body = server.get(target + "x" * (8191 - line))
    assert status == 414 and not ctype.startswith("application/json"), (status, ctype)
    assert server.count() == (200, server.expected)  # the workers are unharmed
