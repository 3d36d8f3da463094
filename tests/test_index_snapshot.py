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
