"""Queries evaluated as arrays (articles/whoosh/vectorised.py) match the documents Whoosh's own matchers match,
with the same scores to the bit, segment by segment: on an archive of several segments with deleted and edited
articles, for every kind of matcher the module evaluates (the test checks that each was met)."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest
from whoosh import query as wq
from whoosh.query.compound import DefaultOr, PreloadedOr

from articles.models import Article
from articles.query_bounds import Bounds, Deadline
from articles.search import SearchParams, search_articles
from articles.whoosh import vectorised
from articles.whoosh.searching import DEFAULT_MODE
from tests.test_progressive import make_archive

pytestmark = pytest.mark.requires("whoosh")

WORDS = "oil price market bank rate interest share government minister election protest fuel gas".split()


def bodies(seed: int, count: int) -> list[str]:
    """Bodies whose words repeat unevenly (so weights differ within a block), where `echo` is said exactly
    twice wherever it is said (blocks with one weight for all), `rare` once every 300 articles (gaps of
    more than 255 between postings) and "oil price" is sometimes a phrase, sometimes the words apart."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        words = [rng.choice(WORDS[: rng.randint(2, len(WORDS))]) for _ in range(rng.randint(3, 60))]
        if i % 3 == 0:
            words += ["oil", "price"] if i % 2 else ["price", "of", "oil"]
        if i % 5 == 0:
            words += ["echo", "filler", "echo"]
        if i % 300 == 7:
            words.append("rare")
        out.append(" ".join(words) + ".")
    return out


@pytest.fixture
def segmented(db, search_backend, django_capture_on_commit_callbacks):
    """Three batches (segments), then deletions and an edit, so most segments have deleted documents."""
    for seed, count in ((1, 700), (2, 40), (3, 9)):
        make_archive(search_backend, bodies(seed, count), prefix=f"batch{seed}")
    with django_capture_on_commit_callbacks(execute=True):
        for article in Article.objects.order_by("pk")[::7]:
            article.delete()
        edited = Article.objects.order_by("pk")[3]
        edited.body = "oil price oil price echo rare market."
        edited.save()
    search_backend._query_cache.clear()
    return search_backend


QUERIES = [
    "market",
    "oil price",  # an intersection
    "oil OR price",  # a union
    "oil OR price OR market OR fuel",  # a tree of unions (or an array union on a small segment)
    "market^2 oil",  # a boost
    '"oil price"',  # an exact phrase
    '"price of oil"',  # three words
    '"oil price" market',  # a phrase inside an intersection: checked in full
    "oil -price",  # and-not
    "echo",  # one weight for every posting of a block
    "rare",  # gaps above 255 within a block
    "pri*",  # a prefix (constant score)
    "goverment~",  # fuzzy
    "nothingmatchesthis",
    "title:article",
]


def whoosh_walk(matcher) -> tuple[list[int], list[float]]:
    ids, scores = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        scores.append(matcher.score())
        matcher.next()
    return ids, scores


def matcher_types(matcher) -> set[type]:
    found = {type(matcher)}
    for child in matcher.children():
        found |= matcher_types(child)
    return found


def query_objects(backend, searcher) -> list:
    parser = backend.parser_for(DEFAULT_MODE)
    pinned = [backend._pin_expansions(parser.parse(q), searcher, Bounds()) for q in QUERIES]
    terms = [wq.Term("text", w) for w in ("oil", "price", "market", "fuel")]
    # Each Or matcher Whoosh may choose, whatever the segment's size: a weighted tree of unions, an array.
    forced = [DefaultOr(terms), PreloadedOr(terms), wq.AndMaybe(terms[0], terms[1]), wq.Require(terms[2], terms[0])]
    return pinned + forced


def test_every_segment_matches_and_scores_as_whoosh(segmented):
    searcher = segmented.searcher()
    segments = searcher.leaf_searchers()
    assert len(segments) >= 2 and any(sub.reader().has_deletions() for sub, _ in segments)
    context, met = searcher.context(), set()
    for query in query_objects(segmented, searcher):
        for sub, _ in segments:
            theirs = whoosh_walk(query.matcher(sub, context))
            matcher = query.matcher(sub, context)
            met |= matcher_types(matcher)
            ours = vectorised.evaluate(matcher)
            assert ours.ids.tolist() == theirs[0], query
            assert ours.scores.tolist() == theirs[1], query  # equal floats, not close ones
    unmet = set(vectorised._EVALUATORS) - met
    assert not unmet, f"no query of the test made {unmet}"


def test_a_first_page_is_whooshs_top_and_every_match_where_it_can_tell(segmented):
    searcher = segmented.searcher()
    for query in query_objects(segmented, searcher):
        top = segmented._collect(searcher, query, None, None, False, 10, Deadline(60))
        found = vectorised.first_page(searcher, query, None, 10, Deadline(60))
        assert found is not None, query
        first, docs, scores, complete = found
        assert first == top[0][:10], query
        if complete:
            assert docs.tolist() == top[1].tolist(), query
        else:  # a phrase: only the candidates its top needed were checked
            assert isinstance(query, wq.Phrase) and len(docs) == 10 and set(docs.tolist()) <= set(top[1].tolist())


def test_a_filter_keeps_only_its_documents(segmented):
    searcher = segmented.searcher()
    query = wq.Term("text", "market")
    every, _ = vectorised.all_matches(searcher, query, None, Deadline(60))
    allow = set(every[::3].tolist()) | {10**9}
    deadline = Deadline(60)
    some, scores = vectorised.all_matches(searcher, query, allow, deadline)
    assert not deadline.reached and some.tolist() == every[::3].tolist()
    assert np.all(np.diff(some) > 0) and len(scores) == len(some)


def test_a_query_of_other_matchers_is_left_to_whoosh(segmented):
    searcher = segmented.searcher()
    for query in (wq.Not(wq.Term("text", "oil")), wq.DisjunctionMax([wq.Term("text", "oil"), wq.Term("text", "gas")])):
        assert vectorised.all_matches(searcher, query, None, Deadline(60)) is None
        assert vectorised.first_page(searcher, query, None, 10, Deadline(60)) is None


def test_a_search_past_its_deadline_says_so_and_keeps_what_it_found(segmented):
    searcher = segmented.searcher()
    deadline = Deadline(60)
    deadline.at = time.monotonic() - 1
    docs, scores = vectorised.all_matches(searcher, wq.Term("text", "market"), None, deadline)
    assert deadline.reached and len(docs) == len(scores) == 0


def test_and_not_and_require_match_what_they_say(segmented, settings):
    """Whoosh's own matchers, fixed (articles/whoosh/operators.py), against the terms' own matches."""
    searcher = segmented.searcher()
    context = searcher.context()
    market, oil = wq.Term("text", "market"), wq.Term("text", "oil")
    for sub, _ in searcher.leaf_searchers():
        a, b = set(whoosh_walk(market.matcher(sub, context))[0]), set(whoosh_walk(oil.matcher(sub, context))[0])
        assert whoosh_walk(wq.AndNot(market, oil).matcher(sub, context))[0] == sorted(a - b)
        assert whoosh_walk(wq.Require(market, oil).matcher(sub, context))[0] == sorted(a & b)
    for cache in (True, False):
        settings.KZARCHIVE_QUERY_CACHE = cache
        without = search_articles(SearchParams(q="market -oil", page_size=100, spelling="exact"))
        both = search_articles(SearchParams(q="market REQUIRE oil", page_size=100, spelling="exact"))
        assert without.count and all("oil" not in h.article.body.split() for h in without.hits)
        assert both.count and all({"oil", "market"} <= set(h.article.body.rstrip(".").split()) for h in both.hits)
        dated = search_articles(SearchParams(q="market REQUIRE oil", page_size=100, spelling="exact", sort="newest"))
        assert dated.count == both.count
