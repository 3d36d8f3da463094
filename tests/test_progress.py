"""Long commands tell how far they are (articles/progress.py), on stderr, and end cleanly on Ctrl-C.

Where stderr is not a terminal (as here) progress is plain lines; the Ctrl-C tests run the real commands
as subprocesses of a separate archive (tests/test_concurrency.FreshArchive) and send SIGINT as soon as
the command shows it is under way.
"""

from __future__ import annotations

import io
import re
import shutil
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article
from articles.progress import Progress
from tests.conftest import SEEDS
from tests.test_concurrency import REPO, FreshArchive

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


@pytest.fixture
def archive(tmp_path):
    archive = FreshArchive(tmp_path)
    archive.env["PYTHONUNBUFFERED"] = "1"
    try:
        archive.manage("migrate", "--noinput")
        yield archive
    finally:
        archive.close()


def start(archive: FreshArchive, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=archive.env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_ctrl_c_stops_ingest_after_the_file_in_hand(archive, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    seeds = sorted(SEEDS.iterdir())
    for n in range(120):
        shutil.copy(seeds[n % len(seeds)], folder / f"{n:03d}_{seeds[n % len(seeds)].name}")
    proc = start(archive, "ingest", str(folder), "-v", "2")
    try:
        first = proc.stdout.readline()  # the first file is in: the run is under way
        assert first.startswith("created"), first + proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "Ctrl-C: stopping after the file being ingested" in err
    done = int(re.search(r"interrupted: (\d+) of 120 files done, (\d+) not read", err).group(1))
    assert 1 <= done < 120
    summary = out.splitlines()[-1]
    assert summary == f"{done} created, 0 updated, 0 unchanged, 0 failed"
    assert len([line for line in [first, *out.splitlines()] if line.startswith("created")]) == done
    # Every file reported done is in the database and the index; nothing else is.
    count = archive.python("from articles.models import Article; print(Article.objects.count())")
    assert int(count) == done
    archive.manage("check_index")  # exits 1 on any drift between the two
    # Running it again finishes the job.
    again = archive.manage("ingest", str(folder), "--quiet")
    assert again.stdout.strip() == f"{120 - done} created, 0 updated, {done} unchanged, 0 failed"
