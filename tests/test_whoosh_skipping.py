"""Skipping posting blocks by quality (a new query's first page, articles/whoosh/reading.MatchRecorder)
finds the same top and only real matches: Whoosh's wrappers that filter documents (deleted documents,
phrases) took the document a skip landed on as a match (articles/whoosh/skipping.py)."""

from __future__ import annotations

import pytest
from whoosh import fields
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage

from articles.query_bounds import Deadline
from articles.whoosh.reading import MatchRecorder
from articles.whoosh.scoring import ArchiveBM25F, segment_field_lengths


def build(folder, bodies: list[str], deleted=(), compound=True):
    """A one-segment index of `bodies` (ids "0", "1", ...), the given ids then deleted (marked, not merged).
    In a folder of its own: a RamStorage writer's temporary files go to one shared /tmp/MAIN.tmp."""
    index = FileStorage(str(folder)).create_index(
        fields.Schema(id=fields.ID(stored=True, unique=True), content=fields.TEXT)
    )
    writer = index.writer(compound=compound)  # compound: one .seg file, as saves write; else plain files
    for i, body in enumerate(bodies):
        writer.add_document(id=str(i), content=body)
    writer.commit()
    if deleted:
        writer = index.writer()
        for i in deleted:
            writer.delete_by_term("id", str(i))
        writer.commit(merge=False)
    return index


def first_page_and_whole(index, query, limit: int = 1):
    with index.searcher(weighting=ArchiveBM25F) as searcher:
        top = MatchRecorder(limit, Deadline(60), skip=True)
        searcher.search_with_collector(query, top)
        first = [(hit["id"], hit.score) for hit in top.results()]
        seen = {searcher.stored_fields(d)["id"] for d in top.docs}  # every document the pass took as a match
        whole = [(hit["id"], hit.score) for hit in searcher.search(query, limit=None)]
        return top.skipped_times, first, seen, whole[:limit], {doc_id for doc_id, _ in whole}


def test_a_skip_never_lands_on_a_deleted_document(tmp_path):
    # One strong match, 255 weak ones, then blocks of stronger matches that were all deleted: once the top
    # is full, the weak blocks are skipped, and the skip lands in the deleted ones.
    bodies = ["quark quark " + "filler " * 5] + ["quark " + "filler " * 80] * 255 + ["quark quark quark"] * 300
    index = build(tmp_path, bodies, deleted=range(256, 556))
    skipped, first, seen, whole_first, whole = first_page_and_whole(index, wq.Term("content", "quark"))
    assert skipped > 0  # the test exercises skipping
    assert first == whole_first == [("0", whole_first[0][1])]
    assert seen <= whole  # every document taken is a live match


def test_a_skip_never_lands_on_a_document_without_the_phrase(tmp_path):
    # The phrase in 256 articles (one short, the rest long), then 344 short ones with both words apart.
    bodies = ["interest rates " + "filler " * (5 if i == 0 else 80) for i in range(256)]
    bodies += ["rates rates interest interest"] * 344
    index = build(tmp_path, bodies)
    skipped, first, seen, whole_first, whole = first_page_and_whole(index, wq.Phrase("content", ["interest", "rates"]))
    assert skipped > 0
    assert first == whole_first and first[0][0] == "0"
    assert seen <= whole and len(whole) == 256  # only documents with the phrase were taken


@pytest.mark.parametrize("compound", [True, False])
def test_scores_are_whooshs_own(tmp_path, compound):
    # ArchiveBM25F reads field lengths from a decoded column: the same scores, to the bit, as Whoosh's BM25F.
    bodies = [f"quark {'filler ' * (i % 97)} rates quark" for i in range(700)]
    index = build(tmp_path, bodies, deleted=range(0, 700, 7), compound=compound)
    for query in (wq.Term("content", "quark"), wq.Or([wq.Term("content", "quark"), wq.Term("content", "rates")])):
        with index.searcher(weighting=ArchiveBM25F) as ours, index.searcher() as whooshs:
            mine = [(hit["id"], hit.score) for hit in ours.search(query, limit=None)]
            theirs = [(hit["id"], hit.score) for hit in whooshs.search(query, limit=None)]
        assert mine == theirs and len(mine) == 600
    with index.searcher() as searcher:  # the decoded column served, not Whoosh's lookup as a fallback
        assert all(segment_field_lengths(sub.reader(), "content") is not None for sub, _ in searcher.leaf_searchers())


def phrase_matches(searcher, words):
    matcher = wq.Phrase("content", words).matcher(searcher)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), [(s.start, s.end) for s in matcher.spans()]))
        matcher.next()
    return found


def test_exact_phrases_match_what_whoosh_matches(tmp_path, monkeypatch):
    # articles/whoosh/phrases.py checks exact phrases on sets of positions: the same documents and spans as
    # Whoosh's general span search, repeated words and deleted documents included.
    import random

    from whoosh.query.spans import SpanNear2

    from articles.whoosh import phrases

    rng = random.Random(7)
    vocabulary = ["alpha", "beta", "gamma", "delta", "omega"]
    bodies = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 40))) for _ in range(400)]
    index = build(tmp_path, bodies, deleted=range(0, 400, 9))
    phrase_list = [[a, b] for a in vocabulary for b in vocabulary]
    phrase_list += [[rng.choice(vocabulary) for _ in range(3)] for _ in range(20)] + [["alpha"] * 3]
    with index.searcher() as searcher:
        ours = [phrase_matches(searcher, words) for words in phrase_list]
        monkeypatch.setattr(SpanNear2.SpanNear2Matcher, "_get_spans", phrases._general_spans)
        whooshs = [phrase_matches(searcher, words) for words in phrase_list]
    assert ours == whooshs
    assert sum(len(found) for found in ours) > 1000  # the phrases do match
