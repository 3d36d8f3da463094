"""The index's merge policy (articles/whoosh_backend.py) on real Whoosh segments: only segments of similar
size are merged, a save never rewrites a large segment, and merge_index does the large merges."""

from __future__ import annotations

import math

from django.core.management import call_command
from whoosh import fields, index
from whoosh.writing import NO_MERGE

from articles import whoosh_backend
from articles.indexing.check import check_index
from articles.whoosh_backend import MERGE_FACTOR, SAVE_MERGE_MAX_DOCS, pick_merge, save_merge

SCHEMA = fields.Schema(id=fields.ID(stored=True, unique=True), text=fields.TEXT)


def make_index(tmp_path, sizes):
    """An index with one real segment per size, in that order."""
    tmp_path.mkdir(exist_ok=True)
    ix = index.create_in(str(tmp_path), SCHEMA)
    n = 0
    for size in sizes:
        with ix.writer() as writer:
            writer.mergetype = NO_MERGE
            for _ in range(size):
                writer.add_document(id=str(n), text=f"word{n % 7} news {n}")
                n += 1
    return ix


def sizes_of(segments) -> list[int]:
    return sorted(seg.doc_count_all() for seg in segments)


def test_only_a_full_class_of_similar_sizes_is_merged(tmp_path):
    ix = make_index(tmp_path, [1000, 2, 3, 1, 20, 30, 17])
    assert pick_merge(ix._segments()) == []  # three of 1-3 docs, three of 16-63: no class is full
    ix = make_index(tmp_path / "more", [1000, 2, 3, 1, 20, 30, 17, 1])
    assert sizes_of(pick_merge(ix._segments())) == [1, 1, 2, 3]  # never the 1,000 nor the 20s


def test_the_save_path_skips_a_large_merge_that_merge_index_does(tmp_path):
    ix = make_index(tmp_path, [400, 500, 600, 700])
    assert pick_merge(ix._segments(), max_docs=SAVE_MERGE_MAX_DOCS) == []
    assert sizes_of(pick_merge(ix._segments())) == [400, 500, 600, 700]


def test_single_saves_never_rewrite_the_large_segment(tmp_path):
    ix = make_index(tmp_path, [2000])
    (large,) = [seg.segment_id() for seg in ix._segments()]
    for n in range(60):
        with ix.writer() as writer:
            writer.mergetype = save_merge
            writer.update_document(id=str(n), text=f"edited {n}")  # replaces a document of the large segment
        ix = index.open_dir(str(tmp_path))
        segments = ix._segments()
        assert large in [seg.segment_id() for seg in segments]
        small = [seg for seg in segments if seg.segment_id() != large]
        assert sum(seg.doc_count_all() for seg in small) <= 2 * SAVE_MERGE_MAX_DOCS
    levels = math.ceil(math.log(60, MERGE_FACTOR)) + 1
    assert len(small) <= (MERGE_FACTOR - 1) * levels  # still few segments for every query to visit
    assert ix.doc_count() == 2000


def test_merge_index_merges_and_the_archive_answers_the_same(seeded_committed, capsys):
    from articles.models import Article
    from articles.search import SearchParams, search_articles

    for article in Article.objects.all():  # one commit each: several small segments
        article.title += " merged"
        article.save()
    backend = whoosh_backend_backend()
    assert len(backend.searcher().leaf_searchers()) > 1
    before = search_articles(SearchParams(q="merged")).count
    call_command("merge_index", "--all")
    assert " after " in capsys.readouterr().out
    assert len(backend.searcher().leaf_searchers()) == 1
    assert search_articles(SearchParams(q="merged")).count == before == 5
    assert check_index().clean
    call_command("merge_index")  # nothing left to merge: no error, no change
    assert "1 segment(s) before, 1 after" in capsys.readouterr().out


def whoosh_backend_backend():
    from haystack import connections

    backend = connections["default"].get_backend()
    assert isinstance(backend, whoosh_backend.ArchiveWhooshBackend)
    return backend
