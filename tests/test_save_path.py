"""What a single save writes (articles/whoosh/writing.py): a one-document segment whose postings sit in
the term index (inlined), the old entry of the same id deleted by term lookups alone; both must read,
phrase-match and merge like Whoosh's own segments."""

from __future__ import annotations

import os

import pytest
from whoosh import fields, index
from whoosh.qparser import QueryParser

from articles.whoosh.writing import delete_existing, save_writer

SCHEMA = fields.Schema(id=fields.ID(stored=True, unique=True), text=fields.TEXT(stored=True))


def save(ix, doc_id: str, text: str, staged: bool = False) -> None:
    writer = save_writer(ix, staged=staged, compound=False)
    delete_existing(writer, [doc_id])
    writer.add_document(id=doc_id, text=text)
    writer.commit(merge=False)


def hits(ix, query: str) -> list[str]:
    with ix.searcher() as searcher:
        return sorted(hit["id"] for hit in searcher.search(QueryParser("text", ix.schema).parse(query), limit=None))


@pytest.mark.parametrize("staged", [False, True], ids=["plain-files", "staged"])
def test_single_saves_are_inlined_and_read_phrase_and_merge_like_any_segment(tmp_path, staged):
    ix = index.create_in(str(tmp_path), SCHEMA)
    save(ix, "1", "the akorda press service said", staged)
    save(ix, "2", "press freedom in the steppe", staged)
    with ix.reader() as reader:
        (leaf, _), *_ = reader.leaf_readers()
        info = leaf.term_info("text", "akorda")
        assert info._inlined is not None  # the posting is in the term index, not the postings file
        assert type(leaf.segment().codec()).__name__ == "W3Codec"  # the TOC records Whoosh's own codec
    assert hits(ix, '"press service"') == ["1"]
    assert hits(ix, "press") == ["1", "2"]
    ix.writer().commit(optimize=True)  # a merge (Whoosh's optimize) reads the inlined postings back
    assert len(ix.refresh()._segments()) == 1
    assert hits(ix, '"press service"') == ["1"]
    assert hits(ix, '"press freedom"') == ["2"]


@pytest.mark.parametrize("staged", [False, True], ids=["plain-files", "staged"])
def test_a_save_replaces_the_entry_of_its_id_in_whichever_segment_holds_it(tmp_path, staged):
    ix = index.create_in(str(tmp_path), SCHEMA)
    with ix.writer() as writer:  # a large segment (Whoosh's default: one compound file), as older rebuilds left
        for n in range(50):
            writer.add_document(id=str(n), text=f"original {n}")
    save(ix, "7", "edited once", staged)
    save(ix, "7", "edited twice", staged)  # now the previous save's one-document segment holds it
    save(ix, "new", "a new article", staged)
    ix = ix.refresh()
    assert ix.doc_count() == 51
    assert hits(ix, "edited") == ["7"]
    assert hits(ix, "twice") == ["7"] and hits(ix, "once") == []
    assert "7" not in hits(ix, "original")


def test_a_staged_save_creates_one_file_which_a_reader_keeps_reading_after_a_merge_deletes_it(tmp_path):
    """Each file a save creates cost ~0.9 ms on this machine (a plain segment is ~15 files, plus two temporary
    folders): a staged save writes its segment in memory and creates one compound file."""
    ix = index.create_in(str(tmp_path), SCHEMA)
    save(ix, "1", "the akorda press service said")
    before = set(os.listdir(tmp_path))
    save(ix, "2", "press freedom in the steppe", staged=True)
    created = sorted(set(os.listdir(tmp_path)) - before)
    segment = ix.refresh()._segments()[-1]
    assert segment.is_compound() and [n for n in created if not n.endswith(".toc")] == [f"{segment.segment_id()}.seg"]
    with ix.refresh().searcher() as searcher:
        ix.writer().commit(optimize=True)  # deletes the staged segment's file under the open searcher
        assert not os.path.exists(tmp_path / f"{segment.segment_id()}.seg")
        found = searcher.search(QueryParser("text", ix.schema).parse('"press freedom"'))
        assert [hit["id"] for hit in found] == ["2"]
    assert hits(ix.refresh(), '"press freedom"') == ["2"]
