"""Long commands tell how far they are (articles/progress.py), on stderr, and end cleanly on Ctrl-C.

Where stderr is not a terminal (as here) progress is plain lines; the Ctrl-C tests run the real commands
as subprocesses of a separate archive (tests/fresh_archive.py) and send SIGINT as soon as
the command shows it is under way.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles import progress as progress_module
from articles import rebuild_status
from articles.models import Article
from articles.progress import Progress
from tests.conftest import SEEDS
from tests.fresh_archive import FreshArchive

LINE = re.compile(
    r"(?P<what>[a-z_]+): (?P<done>[\d,]+) / (?P<total>[\d,]+) (?P<unit>\w+) \((?P<pct>\d+)%\), "
    r"(?P<rate>[\d.,]+|-) (?P=unit)/s, elapsed \d+:\d\d, about \d+:\d\d left"
)
FINAL = re.compile(r"(?P<what>[a-z_]+): (?P<done>[\d,]+) / (?P<total>[\d,]+) (?P<unit>\w+) in \d+:\d\d \(.+/s\)")


def numbers(text: str) -> list[int]:
    return [int(m.group("done").replace(",", "")) for m in LINE.finditer(text)]


def test_plain_lines_every_tenth_and_a_final_line():
    out = io.StringIO()
    with Progress("rebuild_index", 1_000, unit="articles", stream=out) as progress:
        for _ in range(100):
            progress.advance(10)
    lines = out.getvalue().splitlines()
    assert all(LINE.fullmatch(line) for line in lines[:-1]), lines
    assert numbers(out.getvalue()) == list(range(100, 1_000, 100))
    final = FINAL.fullmatch(lines[-1])
    assert final and final.group("done") == final.group("total") == "1,000", lines[-1]


def test_a_bar_on_a_terminal():
    main, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    with os.fdopen(secondary, "w") as terminal:
        with Progress("rebuild_index", 40, unit="articles", stream=terminal) as progress:
            for _ in range(40):
                progress.advance()
            progress.note("a message above the bar")
    shown = read_all(main)
    assert "\r" in shown and "a message above the bar" in shown
    assert re.search(r"rebuild_index: 100%\|.+\| 40/40 \[\d\d:\d\d<00:00, +[\d.]+ articles/s\]", shown), shown


def read_all(fd: int) -> str:
    """Everything written to the terminal: one read of a pty may return only its first chunk (it did,
    on a loaded machine), so read until nothing more is waiting."""
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 100_000)
        except (BlockingIOError, OSError):  # EAGAIN: nothing waiting; EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


def test_a_stalled_rebuild_says_its_estimate_is_old():
    now = time.time()
    status = {"kind": "rebuild", "pid": os.getpid(), "started": now - 100, "updated": now - 40}
    line = rebuild_status.describe({**status, "done": 41_200, "total": 100_000, "rate": 212.0}, now=now)
    assert line.startswith("rebuild in progress: 41,200 / 100,000, about 5 min left to read, then the commit (")
    assert line.endswith("; no article read for the last 40 s")


def test_a_line_after_line_seconds_whatever_the_count(monkeypatch):
    out = io.StringIO()
    with Progress("rebuild_index", 1_000, unit="articles", stream=out) as progress:
        progress.advance(3)  # not a tenth, and not LINE_SECONDS yet
        monkeypatch.setattr(progress_module, "LINE_SECONDS", 0)
        progress.advance(4)
    assert numbers(out.getvalue()) == [7]


def test_unknown_total_and_quiet():
    out = io.StringIO()
    with Progress("export_articles", None, unit="articles", stream=out, quiet=True) as progress:
        progress.advance(5)
    assert out.getvalue() == ""
    with Progress("export_articles", None, unit="articles", stream=out) as progress:
        progress.advance(5)
    assert out.getvalue().startswith("export_articles: 5 articles in ")


def test_ingest_counts_files_first_and_lists_them_with_v2(db, search_backend, tmp_path):
    for seed in sorted(SEEDS.iterdir()):
        shutil.copy(seed, tmp_path / seed.name)
    (tmp_path / "empty.txt").write_bytes(b"")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("ingest", str(tmp_path), stdout=out, stderr=err)
    assert out.getvalue() == "5 created, 0 updated, 0 unchanged, 1 failed\n"  # no per-file lines at -v 1
    err_lines = err.getvalue().splitlines()
    assert "FAILED empty.txt: file is empty" in err_lines
    progress = [line for line in err_lines if line.startswith("ingest: ")]
    assert numbers(err.getvalue()) == [1, 2, 3, 4, 5]  # of a total of 6, known from the start
    assert all("/ 6 files" in line for line in progress), progress
    assert FINAL.fullmatch(progress[-1]) and progress[-1].startswith("ingest: 6 / 6 files in ")

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", str(tmp_path), "-v", "2", stdout=out, stderr=err)
    assert out.getvalue().splitlines()[:2] == [
        "unchanged 000_9c5419554aa1a0fb.txt",
        "unchanged 001_85c1c91c220d666a.txt",
    ]

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", str(tmp_path), "--quiet", stdout=out, stderr=err)
    assert err.getvalue() == "FAILED empty.txt: file is empty\n"
    assert out.getvalue() == "0 created, 0 updated, 5 unchanged, 1 failed\n"
    assert Article.objects.count() == 5


# --- Ctrl-C, through real processes ----------------------------------------------------------------------


def ctrl_c(proc: subprocess.Popen, under_way) -> tuple[str, str]:
    """Once `under_way()` returns, press Ctrl-C (SIGINT); the command must end with status 130 and no
    traceback. Returns what it printed (stdout, stderr)."""
    try:
        under_way()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    return out, err


def test_ctrl_c_stops_ingest_after_the_file_in_hand(fresh_archive, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    seeds = sorted(SEEDS.iterdir())
    for n in range(24):
        shutil.copy(seeds[n % len(seeds)], folder / f"{n:03d}_{seeds[n % len(seeds)].name}")
    proc = fresh_archive.start("ingest", str(folder), "-v", "2")

    lines = []

    def first_file_in():  # the run is under way
        lines.append(proc.stdout.readline())
        assert lines[0].startswith("created"), lines[0] + proc.stderr.read()

    out, err = ctrl_c(proc, first_file_in)
    first = lines[0]
    assert "Ctrl-C: stopping after the file being ingested" in err
    done = int(re.search(r"interrupted: (\d+) of 24 files done, (\d+) not read", err).group(1))
    assert 1 <= done < 24
    summary = out.splitlines()[-1]
    assert summary == f"{done} created, 0 updated, 0 unchanged, 0 failed"
    assert len([line for line in [first, *out.splitlines()] if line.startswith("created")]) == done
    # Every file reported done is in the database and the index; nothing else is.
    count = fresh_archive.python("from articles.models import Article; print(Article.objects.count())")
    assert int(count) == done
    fresh_archive.manage("check_index")  # exits 1 on any drift between the two
    # Running it again finishes the job.
    again = fresh_archive.manage("ingest", str(folder), "--quiet")
    assert again.stdout.strip() == f"{24 - done} created, 0 updated, {done} unchanged, 0 failed"


# --- a rebuild seen from other processes --------------------------------------------------------------------
FILL = """
import hashlib, sys
from articles import progress as progress_module
from articles import rebuild_status
from articles.models import Article
first, n = int(sys.argv[1]), int(sys.argv[2])
words = "steppe quarry pasture protest fuel price Almaty Tokayev council curfew".split()
rows = []
for i in range(first, first + n):
    body = " ".join(words[(i * 7 + k * k) % len(words)] for k in range(400)) + f" item{i}."
    data = f"Report {i}\\n\\n{body}\\n".encode()
    rows.append(Article(title=f"Report {i}", body=body, source_file=f"r{i:05d}.txt", raw_bytes=data,
        raw_text=data.decode(), raw_encoding="utf-8", sha256=hashlib.sha256(data).hexdigest(), extractor="test"))
Article.objects.bulk_create(rows)  # rows only: no signals, so nothing is indexed until a rebuild
"""


def status_file(archive: FreshArchive):
    return archive.folder / "whoosh" / rebuild_status.FILENAME


def wait_for(predicate, proc: subprocess.Popen, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        assert proc.poll() is None, "the rebuild ended first:\n" + proc.stderr.read()
        time.sleep(0.02)
    raise AssertionError("timed out")


def read_status(archive):
    try:
        return json.loads(status_file(archive).read_text())
    except (FileNotFoundError, ValueError):
        return None


def test_a_running_rebuild_is_visible_from_another_process(fresh_archive):
    fresh_archive.python(FILL, "0", "600")
    # The rebuild is held (SIGSTOP) while two other commands run; on a loaded machine that outlasts the 10 s
    # after which a line is written whatever the count (test_a_line_after_line_seconds_whatever_the_count),
    # and a line at 30 of 600 failed the check of the tenths below.
    fresh_archive.env["KZARCHIVE_PROGRESS_SECONDS"] = "3600"
    proc = fresh_archive.start("rebuild_index", "--noinput", "--batch-size", "10")
    try:
        status = wait_for(lambda: (s := read_status(fresh_archive)) and s["done"] >= 20 and s, proc)
        proc.send_signal(signal.SIGSTOP)  # hold it there while another process asks
        try:
            line = fresh_archive.manage("index_status").stdout.strip()
            check = fresh_archive.manage("check_index", check=False).stdout.splitlines()[0]
        finally:
            proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    m = re.fullmatch(
        r"rebuild in progress: ([\d,]+) / 600, (about \d+ min|less than a minute) left to read, then the commit "
        r"\(started \d\d:\d\d:\d\d UTC, [\d,]+ articles/s\)(; no article read for the last [\d,]+ s)?",
        line,
    )
    assert m, line
    assert status["total"] == 600 and 20 <= int(m.group(1).replace(",", "")) < 600
    assert (
        check.split(";")[0] == line.split(";")[0]
    )  # check_index says so first: the index it compares is the one from before
    assert out.splitlines()[-1].startswith("Rebuilt the search index: 600 articles in ")
    progress = [line for line in err.splitlines() if line.startswith("rebuild_index: ")]
    assert numbers(err) == list(range(60, 600, 60)), progress
    assert progress[-2].startswith("rebuild_index: 600 / 600 articles in ")
    assert progress[-1].startswith("rebuild_index: all 600 articles read; writing the new index")
    assert not status_file(fresh_archive).exists()
    assert fresh_archive.manage("index_status").stdout.strip() == "no rebuild running."


def test_ctrl_c_stops_a_rebuild_and_commits_nothing(fresh_archive):
    fresh_archive.python(FILL, "0", "400")
    fresh_archive.manage("rebuild_index", "--noinput", "--quiet")
    fresh_archive.python(FILL, "400", "100")  # 100 articles the index does not have yet
    proc = fresh_archive.start("rebuild_index", "--noinput", "--batch-size", "5")
    out, err = ctrl_c(proc, lambda: wait_for(lambda: (s := read_status(fresh_archive)) and s["done"] >= 10, proc))
    assert "Ctrl-C: stopping after the batch in hand" in err
    m = re.search(r"interrupted: ([\d,]+) of 500 articles read, nothing committed: the search index is as it was", err)
    assert m and int(m.group(1).replace(",", "")) < 500, err
    assert not status_file(fresh_archive).exists()
    # The index is the one from before: 400 entries, the 100 new articles still missing.
    report = fresh_archive.manage("check_index", check=False).stdout
    assert "500 articles in the database, 400 entries in the index." in report
    assert "missing: 100, stale: 0, orphaned: 0" in report
    fresh_archive.manage("rebuild_index", "--noinput", "--quiet")
    fresh_archive.manage("check_index")


def test_an_interrupted_rebuild_and_the_admin_notice(db, client, search_backend, django_user_model):
    """The admin reads the same status file; a file whose process is gone reads as an interrupted rebuild."""
    staff = django_user_model.objects.create_user("curator", password="x", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert b'id="index-status"' not in client.get("/admin/").content
    with rebuild_status.tracking(
        "rebuild", lambda: Progress("rebuild_index", None, unit="articles", stream=io.StringIO())
    ) as run:
        run.add_total(100_000)
        run.advance(41_200)
        run.write()
        page = client.get("/admin/articles/article/").content.decode()
        notice = re.search(r'<li class="warning" id="index-status">(.+?)</li>', page)
        assert notice and notice.group(1).startswith("rebuild in progress: 41,200 / 100,000, "), page
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        run.state["pid"] = int(gone.stdout)  # a process that has ended
        run.write()
        line = rebuild_status.current_line()
        assert line.startswith("rebuild interrupted at 41,200 / 100,000 (started ")
        assert "nothing of it was committed, the index is as it was before; run rebuild_index again" in line
        assert "rebuild interrupted at 41,200" in client.get("/admin/").content.decode()
    assert rebuild_status.current_line() is None
    assert b'id="index-status"' not in client.get("/admin/").content


# --- the other long commands ---------------------------------------------------------------------------------


def progress_lines(err: str, what: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{what}: ")]


def test_export_articles_keeps_stdout_clean(fresh_archive):
    fresh_archive.python(FILL, "0", "300")
    fresh_archive.manage("rebuild_index", "--noinput", "--quiet")
    done = fresh_archive.manage("export_articles", "--format", "jsonl")
    records = [json.loads(line) for line in done.stdout.splitlines()]  # every line of stdout is the file's
    assert records[0]["kzarchive_export"]["count"] == 300
    assert len(records) == 301 and {r["title"] for r in records[1:]} == {f"Report {i}" for i in range(300)}
    lines = progress_lines(done.stderr, "export_articles")
    assert lines and FINAL.fullmatch(lines[-1]) and lines[-1].startswith("export_articles: 300 / 300 articles in ")
    assert all(LINE.fullmatch(line) for line in lines[:-1]), lines
    quiet = fresh_archive.manage("export_articles", "--format", "csv", "--quiet")
    assert quiet.stderr == "" and len(quiet.stdout.splitlines()) == 10 + 1 + 300  # header, column names, rows


def test_check_index_and_repair_show_their_progress(seeded_committed):
    Article.objects.filter(pk=min(a.pk for a in seeded_committed.values())).update(title="Changed behind the index")
    out, err = io.StringIO(), io.StringIO()
    call_command("check_index", "--repair", stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("check_index: 5 / 5 articles in ")
    assert lines[1].startswith("check_index --repair: 1 / 1 entries in ")
    assert lines[2].startswith("check_index: 5 / 5 articles in ")
    assert "index is in step with the database." in out.getvalue()
    err = io.StringIO()
    call_command("check_index", "--quiet", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_backup_and_restore_show_their_progress(seeded_committed, tmp_path):
    target = tmp_path / "archive.zip"
    err = io.StringIO()
    call_command("backup_archive", str(target), stdout=io.StringIO(), stderr=err)
    rows = sum(json.loads(zipfile.ZipFile(target).read("manifest.json"))["counts"].values())
    lines = progress_lines(err.getvalue(), "backup_archive")
    assert lines[-1].startswith(f"backup_archive: {rows:,} / {rows:,} rows in "), lines
    assert all(LINE.fullmatch(line) for line in lines[:-1]), lines
    out, err = io.StringIO(), io.StringIO()
    call_command("restore_archive", str(target), "--replace", stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    restore = progress_lines(err.getvalue(), "restore_archive")
    assert restore[-1].startswith(f"restore_archive: {rows:,} / {rows:,} rows in "), lines
    # then the index rebuild's own progress, after the rows
    assert lines.index(restore[-1]) < lines.index(
        next(x for x in lines if x.startswith("rebuild_index: 5 / 5 articles"))
    )
    assert out.getvalue().startswith(f"Restored {target}")
    assert "rebuild_index" not in out.getvalue()  # the rebuild's own stdout lines are not the restore's
