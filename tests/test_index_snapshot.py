"""A searcher reads one generation of the index whole, whatever writers elsewhere do (issue 11, item 2).

The writers here are separate Whoosh index objects on the same folder, as another process's would be:
what they delete on disk is exactly what a merge in another process deletes.
"""

from __future__ import annotations

import shutil

import pytest
from whoosh.codec import whoosh3
from whoosh.index import open_dir

from articles.indexing.entries import reindex_articles
from articles.search import SearchParams, search_articles


def _other_process_merges_everything(backend) -> None:
    """Another writer's commit that merges every segment into one and deletes the old segments' files."""
    ix = open_dir(backend.path, schema=backend.schema)
    writer = ix.writer()
    writer.commit(optimize=True)


def _segment_ids(backend) -> set[str]:
    ix = open_dir(backend.path, schema=backend.schema)
    return {seg.segment_id() for seg in ix._segments()}


@pytest.mark.django_db
def test_segment_files_deleted_under_a_live_searcher(seeded, search_backend):
    """The old patch remembered a vanished stored-fields column as None: TypeError in stored_fields."""
    backend = search_backend
    for article in list(seeded.values())[:2]:
        reindex_articles([article.pk])  # one commit (one new segment) each
    backend._snapshots.drop()
    before = _segment_ids(backend)
    assert len(before) > 1
    searcher = backend.searcher()  # opened, nothing read from it yet
    _other_process_merges_everything(backend)
    assert not before & _segment_ids(backend)  # their files are gone from the folder
    stored = [searcher.stored_fields(n) for n in searcher.reader().all_doc_ids()]
    assert sorted(int(f["django_id"]) for f in stored) == sorted(a.pk for a in seeded.values())
    assert searcher.search(backend.parser.parse("Tokayev")).scored_length() > 0


@pytest.mark.django_db
def test_the_next_search_reads_the_new_generation(seeded, search_backend):
    backend = search_backend
    total = search_articles(SearchParams(q="")).count
    old = backend.searcher()
    _other_process_merges_everything(backend)
    assert backend.searcher() is not old
    assert search_articles(SearchParams(q="")).count == total


@pytest.mark.django_db
def test_a_rebuild_into_a_new_folder_is_noticed_even_at_the_same_generation(seeded, search_backend):
    """Token = folder + TOC number + TOC file: a new folder whose TOC has the old number is still new."""
    backend = search_backend
    old = backend.searcher()
    generation = old.ixreader.generation()
    docs = [
        {key: backend._from_python(value) for key, value in fields.items()}
        for fields in (old.stored_fields(n) for n in old.reader().all_doc_ids())
    ]
    shutil.rmtree(backend.path)
    ix = backend.create_index()
    while ix.latest_generation() < generation:
        writer = ix.writer()
        if ix.latest_generation() == generation - 1:
            for doc in docs[1:]:  # one article fewer than before
                writer.add_document(**{k: v for k, v in doc.items() if k in backend.schema})
        writer.commit()
    assert ix.latest_generation() == generation
    fresh = backend.searcher()
    assert fresh is not old
    assert fresh.doc_count() == len(docs) - 1


def test_a_missing_column_is_never_remembered_as_missing(seeded, search_backend):
    backend = search_backend
    reader = next(sub.reader() for sub, _ in backend.searcher().leaf_searchers())
    perdoc = reader._perdoc
    assert isinstance(perdoc, whoosh3.W3PerDocReader)
    assert perdoc._cached_reader("no_such_field", whoosh3.LENGTHS_COLUMN) is None
    assert "no_such_field" not in perdoc._readers
    assert perdoc._cached_reader("_stored", whoosh3.STORED_COLUMN) is not None


def _open_files() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


@pytest.mark.django_db
@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_steady_commits_do_not_pile_up_open_files(seeded, search_backend):
    """Every generation's searcher holds all of its files open; replaced ones once stayed open 60 s, and
    a gunicorn worker under ten commits a second ran out of descriptors (benchmarks/soak.py: 33,172 of
    34,634 searches answered 503 "damaged: Too many open files")."""
    from articles.whoosh import snapshot

    backend = search_backend
    article = next(iter(seeded.values()))
    counts = []
    for _ in range(4 * snapshot.MAX_RETIRED):
        reindex_articles([article.pk])  # a commit: a new generation
        assert search_articles(SearchParams(q="Tokayev")).count == 5  # a search opens it
        counts.append(_open_files())
    assert backend._snapshots.open_count <= snapshot.MAX_RETIRED + 1
    steady = counts[2 * snapshot.MAX_RETIRED :]
    assert max(steady) - min(steady) <= 2 * len(backend.searcher().reader().leaf_readers() or [1]) * 20, counts


# --- a new generation reuses the open readers of the segments it shares with the current one ---------------


def _whole(searcher) -> tuple:
    """Everything a searcher answers about its generation: live count, and every live document's stored
    fields with its number."""
    reader = searcher.reader()
    live = [(n, dict(searcher.stored_fields(n))) for n in reader.all_doc_ids()]
    return searcher.doc_count(), searcher.doc_count_all(), sorted(live, key=lambda item: item[0])


def _fresh(backend) -> tuple:
    """The same, from a searcher that opens every segment itself (no reuse)."""
    from articles.whoosh import snapshot

    searcher, _ = snapshot.open_searcher(backend.index, backend.path)
    try:
        return _whole(searcher)
    finally:
        searcher.close()


def _cores(searcher) -> dict:
    from articles.whoosh import snapshot

    return {leaf.segment().segment_id(): snapshot._core(leaf) for leaf, _ in searcher.reader().leaf_readers()}


@pytest.fixture
def separate_segments(seeded, search_backend, monkeypatch):
    """Three segments (no background merge): the five seeds' (two of them deleted there), and the first two
    seeds' one each; and the current searcher."""
    from articles.whoosh import writing

    monkeypatch.setattr(writing, "request_background_merge", lambda backend: None)
    for article in list(seeded.values())[:2]:
        reindex_articles([article.pk])
    backend = search_backend
    searcher = backend.searcher()
    assert len(searcher.reader().leaf_readers()) > 2
    return backend, searcher


@pytest.mark.django_db
def test_an_edit_reuses_the_other_segments_readers_and_reads_exactly_the_new_generation(separate_segments, seeded):
    backend, old = separate_segments
    before = _whole(old)
    article = list(seeded.values())[3]  # in the five seeds' segment
    article.title = "Renamed for the reuse test"
    article.save()
    reindex_articles([article.pk])  # deletes its entry in an existing segment, adds a one-document segment
    new = backend.searcher()
    assert new is not old
    kept = set(_cores(new)) & set(_cores(old))
    assert kept == set(_cores(old))
    assert all(_cores(new)[k] is _cores(old)[k] for k in kept)  # their files reused, none opened again
    assert len(_cores(new)) == len(kept) + 1  # only the new segment was opened
    assert _whole(new) == _fresh(backend)
    titles = [fields["title"] for _, fields in _whole(new)[2]]
    assert titles.count("Renamed for the reuse test") == 1
    assert _whole(old) == before  # the old generation still reads as it was (its own deletions)


@pytest.mark.django_db
def test_a_delete_in_a_reused_segment_is_not_read_from_the_old_deletions(separate_segments, seeded):
    from articles.models import Article

    backend, old = separate_segments
    victim = list(seeded.values())[3]  # in the five seeds' segment, which keeps three live documents
    Article.objects.filter(pk=victim.pk).delete()
    reindex_articles([victim.pk])  # removes the entry: only the deletions of a segment change
    new = backend.searcher()
    assert set(_cores(new)) == set(_cores(old))  # the same segments, reused ...
    assert all(_cores(new)[k] is _cores(old)[k] for k in _cores(old))
    assert new.doc_count() == old.doc_count() - 1  # ... with the new generation's deletions
    assert _whole(new) == _fresh(backend)
    assert str(victim.pk) not in {fields["django_id"] for _, fields in _whole(new)[2]}
    assert str(victim.pk) in {fields["django_id"] for _, fields in _whole(old)[2]}
    assert search_articles(SearchParams(q=victim.title.split()[0])).count == _fresh_count(backend, victim)


def _fresh_count(backend, victim) -> int:
    from whoosh import query

    searcher, _ = __import__("articles.whoosh.snapshot", fromlist=["x"]).open_searcher(backend.index, backend.path)
    try:
        parsed = backend.parser.parse(victim.title.split()[0])
        return len(searcher.search(parsed, limit=None, filter=query.Every()))
    finally:
        searcher.close()


@pytest.mark.django_db
def test_after_a_merge_the_merged_segment_is_opened_and_the_rest_reused(separate_segments):
    backend, old = separate_segments
    before = _whole(old)
    while backend.merge_step(None):
        pass
    _other_process_merges_everything(backend)  # and a merge by another writer
    new = backend.searcher()
    assert not set(_cores(new)) & set(_cores(old))
    assert _whole(new) == _fresh(backend)
    assert (_whole(new)[0], sorted(f["id"] for _, f in _whole(new)[2])) == (
        before[0],
        sorted(f["id"] for _, f in before[2]),
    )


@pytest.mark.django_db
def test_a_rebuild_reuses_nothing(separate_segments):
    from django.core.management import call_command

    backend, old = separate_segments
    call_command("rebuild_index", interactive=False, verbosity=0)
    new = backend.searcher()
    old_cores = set(map(id, _cores(old).values()))
    assert not old_cores & set(map(id, _cores(new).values()))
    assert _whole(new) == _fresh(backend)


@pytest.mark.django_db
def test_shared_files_are_closed_with_the_last_searcher_reading_them(separate_segments, seeded):
    from articles.whoosh import snapshot

    backend, first = separate_segments
    article = next(iter(seeded.values()))
    for _ in range(3 * snapshot.MAX_RETIRED):
        reindex_articles([article.pk])
        assert search_articles(SearchParams(q="Tokayev")).count == 5
    snapshots = backend._snapshots
    assert snapshots.open_count <= snapshot.MAX_RETIRED + 1
    assert first.reader().is_closed  # closed, though most of its segments are still read
    reading = set()
    for searcher in [snapshots.searcher, *(s for _, s in snapshots._retired)]:
        reading |= set(map(id, _cores(searcher).values()))
    assert set(snapshots._users) == reading  # exactly the segments some open searcher reads
    current = _cores(snapshots.searcher)
    for core in current.values():
        assert not core.is_closed if hasattr(core, "is_closed") else True
    assert _whole(snapshots.searcher) == _fresh(backend)
    snapshots.drop()
    for _ in range(snapshot.MAX_RETIRED + 1):
        reindex_articles([article.pk])
        backend.searcher()
    assert set(snapshots._users) == set(map(id, _cores(snapshots.searcher).values())) | {
        id(c) for _, s in snapshots._retired for c in _cores(s).values()
    }
