"""The index's merge policy (articles/whoosh/merges.py) on real Whoosh segments: only segments of similar
size are merged, a save never rewrites a large segment, and merge_index does the large merges."""

from __future__ import annotations

from django.core.management import call_command
from whoosh import fields, index
from whoosh.writing import NO_MERGE

from articles.indexing.check import check_index
from articles.whoosh.backend import ArchiveWhooshBackend
from articles.whoosh.merges import MERGE_FACTOR, SAVE_MERGE_MAX_DOCS, SAVE_PATH_MAX_SEGMENTS, pick_merge, save_merge

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
    # Nothing merges them in the background here: the save path's own bound still keeps them few.
    assert len(segments) <= SAVE_PATH_MAX_SEGMENTS + 1
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
    assert isinstance(backend, ArchiveWhooshBackend)
    return backend


def test_a_save_merges_nothing_and_asks_for_a_background_merge(tmp_path):
    ix = make_index(tmp_path, [2000, 1, 1, 2, 1])  # a full class of tiny segments beside the large one
    before = {seg.segment_id() for seg in ix._segments()}
    writer = ix.writer()
    writer.add_document(id="new", text="a single save")
    writer.commit(mergetype=save_merge)
    after = {seg.segment_id() for seg in index.open_dir(str(tmp_path))._segments()}
    assert before < after and len(after) == len(before) + 1  # its own segment only, nothing rewritten
    assert writer.merge_wanted


def segment_ids(backend) -> set[str]:
    return {seg.segment_id() for seg in backend.index.refresh()._segments() if seg.doc_count()}


def answers():
    from articles.search import SearchParams, search_articles

    out = []
    for q in ("", "government", "the", "said"):
        found = search_articles(SearchParams(q=q))
        out.append((q, found.count, sorted(hit.article.pk for hit in found.hits)))
    return out


def one_commit_each(backend, articles):
    from haystack import connections

    from articles.models import Article

    index = connections["default"].get_unified_index().get_index(Article)
    for article in articles:
        backend.update(index, [article])


def test_background_merge_changes_no_answer_and_keeps_what_saves_deleted_meanwhile(seeded, monkeypatch):
    from articles.models import Article
    from articles.whoosh import writing

    asked = []
    monkeypatch.setattr(writing, "request_background_merge", asked.append)  # run the merge here, not in a thread
    backend = whoosh_backend_backend()
    articles = list(Article.objects.order_by("pk"))
    one_commit_each(backend, articles + articles[:3])  # eight single saves
    assert len(segment_ids(backend)) >= MERGE_FACTOR + 1  # the save path merged none of them
    assert asked and asked[0] is backend
    expected = answers()

    # A save while the merge writes its segment (outside the write lock) replaces an article that is in
    # one of the segments being merged: the merged segment must not bring the old entry back.
    original_mkdtemp = writing.tempfile.mkdtemp

    def save_meanwhile(*args, **kwargs):
        one_commit_each(backend, [articles[0]])
        return original_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(writing.tempfile, "mkdtemp", save_meanwhile)
    before = segment_ids(backend)
    assert backend.merge_step(None) is True
    monkeypatch.setattr(writing.tempfile, "mkdtemp", original_mkdtemp)
    while backend.merge_step(None):
        pass
    assert len(segment_ids(backend)) < len(before)
    assert answers() == expected
    assert backend.index.refresh().doc_count() == len(articles)
    assert check_index().clean
    assert not [name for name in __import__("os").listdir(backend.path) if name.startswith(".kzarchive-merge-")]


def test_merge_step_drops_its_work_when_a_chosen_segment_went_away(seeded, monkeypatch):
    from articles.models import Article
    from articles.whoosh import writing

    monkeypatch.setattr(writing, "request_background_merge", lambda backend: None)
    backend = whoosh_backend_backend()
    articles = list(Article.objects.order_by("pk"))
    one_commit_each(backend, articles)
    expected = answers()
    original_mkdtemp = writing.tempfile.mkdtemp

    def merge_everything_meanwhile(*args, **kwargs):
        backend.merge_segments(everything=True)  # e.g. merge_index --all from another process
        return original_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(writing.tempfile, "mkdtemp", merge_everything_meanwhile)
    assert backend.merge_step(None) is True  # merged nothing: its segments are gone
    assert len(segment_ids(backend)) == 1
    assert answers() == expected
    assert backend.index.refresh().doc_count() == len(articles)


def test_saves_start_a_background_merge_in_another_process(seeded):
    from articles.models import Article
    from articles.whoosh import merges

    backend = whoosh_backend_backend()
    articles = list(Article.objects.order_by("pk"))
    expected = answers()
    one_commit_each(backend, articles + articles)  # ten single saves: two full classes of one-document segments
    merges.wait_for_background_merges()
    assert len(segment_ids(backend)) < MERGE_FACTOR  # merged by the forked process, not by the saves
    assert answers() == expected
    assert backend.index.refresh().doc_count() == len(articles)
    assert check_index().clean


def test_merge_readers_list_exactly_the_postings_whoosh_lists(seeded):
    """merges.iter_postings (one pass over the term table) yields what Whoosh's own iter_postings yields,
    deleted documents left out, on the archive's real schema and codec (inlined one-document postings too)."""
    from whoosh.reading import SegmentReader

    from articles.models import Article
    from articles.whoosh.merges import merge_reader

    backend = whoosh_backend_backend()
    articles = list(Article.objects.order_by("pk"))
    one_commit_each(backend, articles[:2])  # two one-document segments; their entries deleted in the first
    segments = backend.index.refresh()._segments()
    assert any(seg.has_deletions() for seg in segments) and any(seg.doc_count_all() == 1 for seg in segments)
    for seg in segments:
        ours = merge_reader(backend.storage, backend.schema, seg)
        theirs = SegmentReader(backend.storage, backend.schema, seg)
        try:
            listed = list(ours.iter_postings())
            assert listed == list(SegmentReader.iter_postings(theirs))
            assert listed and {d for _, _, d, _, _ in listed}.isdisjoint(set(seg.deleted_docs()))
        finally:
            ours.close()
            theirs.close()


def test_saves_keep_term_indexes_open_only_for_segments_still_in_the_index(seeded, monkeypatch):
    """A save finds the entry it replaces through term indexes kept open between saves
    (writing.delete_existing): the replaced entry is gone whichever segment holds it, and segments merged
    away are closed and forgotten."""
    from articles.models import Article
    from articles.whoosh import writing

    monkeypatch.setattr(writing, "request_background_merge", lambda backend: None)
    backend = whoosh_backend_backend()
    articles = list(Article.objects.order_by("pk"))
    one_commit_each(backend, articles + articles[:2])  # each replaced twice: once in a kept term index
    kept = backend._terms_readers
    assert len(kept) >= 2
    assert backend.index.refresh().doc_count() == len(articles)
    assert check_index().clean
    closed = list(kept.values())
    backend.merge_segments(everything=True)
    (merged,) = backend.index.refresh()._segments()
    one_commit_each(backend, articles[:1])
    assert set(kept) == {merged.segment_id()}  # what that save looked in; the merged-away ones forgotten
    assert not set(map(id, closed)) & set(map(id, kept.values()))
    assert backend.index.refresh().doc_count() == len(articles)
    assert check_index().clean
