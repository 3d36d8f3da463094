"""The outbox between database and index (articles/indexing/outbox.py), with real commits.

A change writes its PendingIndexUpdate row in its own transaction; the row is applied and deleted after
the commit, or kept with the error when the index cannot be written (a real read-only index folder: a
read-only bind mount when the tests run as root, whom chmod does not stop; chmod otherwise), and
`process_index_queue` applies it once the folder is writable again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from haystack.query import SearchQuerySet

from articles.indexing.check import check_index
from articles.models import Article, PendingIndexUpdate
from tests.conftest import SEEDS

SEED = "001_85c1c91c220d666a.txt"


@contextmanager
def read_only(path):
    """Make the index folder really read-only for this process, then writable again."""
    path = str(path)
    if os.geteuid() != 0:
        os.chmod(path, 0o555)
        try:
            yield
        finally:
            os.chmod(path, 0o755)
        return
    if subprocess.run(["mount", "--bind", path, path], capture_output=True).returncode != 0:
        pytest.skip("running as root without the right to mount: cannot make a folder read-only for root")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", path], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", path], check=True)


def titled(word: str) -> set[int]:
    return {int(r.pk) for r in SearchQuerySet().filter(title=word)}


def rows(article_id: int) -> list[PendingIndexUpdate]:
    return list(PendingIndexUpdate.objects.filter(article_id=article_id))


def test_a_rolled_back_save_leaves_no_row_and_no_index_change(seeded_committed):
    article = seeded_committed[SEED]
    with pytest.raises(RuntimeError), transaction.atomic():
        article.title = "Zyzzyva rolled back"
        article.save()
        assert len(rows(article.pk)) == 1  # written with the article, in the same transaction
        raise RuntimeError("the caller gives up")
    assert rows(article.pk) == []
    assert titled("zyzzyva") == set()
    assert check_index().clean


def test_a_committed_change_is_applied_after_the_commit_and_its_row_deleted(seeded_committed):
    article = seeded_committed[SEED]
    with transaction.atomic():
        article.title = "Zyzzyva committed"
        article.save()
        article.tags.set([])  # more changes to the same article in the transaction: still one row
        assert len(rows(article.pk)) == 1
        assert titled("zyzzyva") == set()  # nothing reaches the index before the commit
    assert rows(article.pk) == []
    assert titled("zyzzyva") == {article.pk}


def test_a_failing_index_write_keeps_the_row_and_the_save_succeeds(seeded_committed, isolated_index, capsys):
    article = seeded_committed[SEED]
    gone = seeded_committed["002_1e562040c40c0d33.txt"]
    with read_only(isolated_index):
        article.title = "Zyzzyva while read-only"
        article.save()  # does not raise
        Article.objects.filter(pk=gone.pk).delete()
        with pytest.raises(CommandError):
            call_command("process_index_queue")
    assert Article.objects.get(pk=article.pk).title == "Zyzzyva while read-only"
    (row,) = rows(article.pk)
    assert row.attempts == 2 and ("Read-only" in row.last_error or "Permission" in row.last_error)
    assert len(rows(gone.pk)) == 1
    assert titled("zyzzyva") == set()

    capsys.readouterr()
    with pytest.raises(CommandError):
        call_command("check_index")
    out = capsys.readouterr().out
    assert "2 index updates pending, oldest " in out
    assert "2 failed, last error: " in out

    call_command("process_index_queue")
    assert "indexed 2 article(s), 0 failed." in capsys.readouterr().out
    assert PendingIndexUpdate.objects.count() == 0
    assert titled("zyzzyva") == {article.pk}
    assert check_index().clean
    call_command("check_index")
    assert "no index updates pending." in capsys.readouterr().out


def test_ingest_into_a_read_only_index_prints_one_line_not_a_traceback(
    transactional_db, search_backend, isolated_index, tmp_path, capsys
):
    shutil.copy(SEEDS / SEED, tmp_path / SEED)
    with read_only(isolated_index), pytest.raises(CommandError, match="not yet searchable"):
        call_command("ingest", str(tmp_path))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    (line,) = [line for line in captured.err.splitlines() if SEED in line]
    assert line.startswith(f"created   {SEED}: queued for indexing (")
    assert "1 created, 0 updated, 0 unchanged, 0 failed (1 queued for indexing)" in captured.out
    article = Article.objects.get(source_file=SEED)
    assert len(rows(article.pk)) == 1

    call_command("process_index_queue")
    assert check_index().clean and PendingIndexUpdate.objects.count() == 0


def test_folder_ingest_writes_the_index_once_per_batch(transactional_db, search_backend, monkeypatch):
    from articles import ingest

    backend = search_backend
    generation = backend.index.refresh().latest_generation()
    call_command("ingest", str(SEEDS), "--quiet")  # five files: one index commit, not five
    assert backend.index.refresh().latest_generation() == generation + 1
    assert check_index().clean and PendingIndexUpdate.objects.count() == 0

    monkeypatch.setattr(ingest, "INDEX_BATCH", 2)
    Article.objects.all().delete()
    generation = backend.index.refresh().latest_generation()
    call_command("ingest", str(SEEDS), "--quiet")  # batches of 2, 2 and 1
    assert backend.index.refresh().latest_generation() == generation + 3
    assert check_index().clean and PendingIndexUpdate.objects.count() == 0


def test_a_folder_ingest_that_dies_between_batches_leaves_every_file_queued_not_lost(
    transactional_db, search_backend, monkeypatch
):
    from articles.indexing import outbox

    # The process "dies" before any batch is written to the index: each file's own transaction committed
    # its article and its outbox row, and the index never heard of them.
    monkeypatch.setattr(outbox.Batch, "flush", lambda self: outbox.Applied())
    call_command("ingest", str(SEEDS), "--quiet")
    stored = set(Article.objects.values_list("pk", flat=True))
    assert len(stored) == 5
    assert set(PendingIndexUpdate.objects.values_list("article_id", flat=True)) == stored
    report = check_index()
    assert sorted(report.missing) == sorted(stored)  # check_index shows them, with the queue
    assert "5 index updates pending" in outbox.state().line()
    monkeypatch.undo()
    call_command("process_index_queue")
    assert check_index().clean and PendingIndexUpdate.objects.count() == 0
    assert SearchQuerySet().all().count() == 5
