"""check_index: drift made three ways (missing, stale, orphaned) is found exactly, and --repair fixes it.

pytest-django's `db` tests never commit, so index updates (run on commit) only happen inside
`django_capture_on_commit_callbacks(execute=True)`; edits made outside it never reach the index, which
is exactly the drift a lost update leaves behind.
"""

import pytest
from django.core.management import CommandError, call_command
from haystack.query import SearchQuerySet

from articles.indexing.check import check_index, repair_index
from articles.models import Article, Source


def make_drift(seeded):
    """One article never indexed, one edited behind the index's back, one deleted behind its back."""
    template = seeded["000_9c5419554aa1a0fb.txt"]
    new = Article.objects.create(
        title="Unindexed zyzzyva report",
        body="A zyzzyva text nobody indexed.",
        source_file="drift-new.txt",
        raw_bytes=b"x",
        raw_text="x",
        sha256="0" * 64,
        source=template.source,
    )
    edited = seeded["001_85c1c91c220d666a.txt"]
    Article.objects.filter(pk=edited.pk).update(title="Quietly retitled")
    deleted = seeded["002_1e562040c40c0d33.txt"]
    deleted_pk = deleted.pk
    Article.objects.filter(pk=deleted_pk).delete()
    return new.pk, edited.pk, deleted_pk


def test_fresh_index_is_clean(seeded):
    report = check_index()
    assert report.clean, report.lines()
    assert (report.in_database, report.in_index) == (5, 5)


def test_detects_exactly_the_drift_and_repairs_it(seeded):
    new_pk, edited_pk, deleted_pk = make_drift(seeded)
    report = check_index()
    assert report.missing == [new_pk]
    assert report.stale == [edited_pk]
    assert "title" in report.differences[edited_pk]
    assert report.orphaned == [f"articles.article.{deleted_pk}"]
    assert not report.clean

    after = repair_index(report)
    assert after.clean, after.lines()
    assert (after.in_database, after.in_index) == (5, 5)
    assert [r.pk for r in SearchQuerySet().filter(content="zyzzyva")] == [str(new_pk)]
    assert {int(r.pk) for r in SearchQuerySet().filter(title="retitled")} == {edited_pk}


def test_related_rename_and_tags_are_stale_too(seeded):
    """Outlet renamed and tags changed without reindexing: the stored outlet/tag values show it."""
    article = seeded["000_9c5419554aa1a0fb.txt"]
    Source.objects.filter(pk=article.source_id).update(name="Renamed Outlet")
    report = check_index()
    renamed = set(Article.objects.filter(source_id=article.source_id).values_list("pk", flat=True))
    assert set(report.stale) == renamed
    assert "outlet" in report.differences[article.pk] and "outlet_exact" in report.differences[article.pk]
    assert repair_index(report).clean


def test_command_exit_codes_and_output(seeded, capsys):
    call_command("check_index")
    assert "missing: 0, stale: 0, orphaned: 0" in capsys.readouterr().out

    new_pk, edited_pk, deleted_pk = make_drift(seeded)
    with pytest.raises(CommandError) as err:
        call_command("check_index")
    assert err.value.returncode == 1
    out = capsys.readouterr().out
    assert "missing: 1, stale: 1, orphaned: 1" in out
    assert f"missing ids: {new_pk}" in out
    stale_line = next(line for line in out.splitlines() if line.startswith("stale ids:"))
    assert stale_line.startswith(f"stale ids: {edited_pk} (") and "title" in stale_line
    assert f"orphaned entries: articles.article.{deleted_pk}" in out

    call_command("check_index", "--repair")
    out = capsys.readouterr().out
    assert "Repairing" in out and out.rstrip().endswith(
        "index is in step with the database.\nno index updates pending."
    )
    call_command("check_index")


def test_body_only_edit_is_stale_through_content_hash(seeded):
    """The full text is not stored in the index: a body-only edit shows through ArticleIndex.content_hash."""
    from haystack import connections

    if "content_hash" not in connections["default"].get_unified_index().get_index(Article).fields:
        pytest.skip("ArticleIndex has no content_hash field (see docs/operations.md, Known limits)")
    article = seeded["000_9c5419554aa1a0fb.txt"]
    Article.objects.filter(pk=article.pk).update(body="An entirely different body.")
    report = check_index()
    assert report.stale == [article.pk] and report.differences[article.pk] == ["content_hash"]
    assert repair_index(report).clean


def test_entries_indexed_by_an_older_analysis_are_stale_until_repaired(seeded, monkeypatch):
    from articles.indexing import entries

    monkeypatch.setattr(entries, "ANALYSIS_VERSION", entries.ANALYSIS_VERSION + 1)
    report = check_index()
    assert sorted(report.stale) == sorted(a.pk for a in seeded.values())
    assert all(report.differences[pk] == ["content_hash"] for pk in report.stale)
    repair_index(report)
    assert check_index().clean
