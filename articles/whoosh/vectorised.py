"""Every match of a query and its score, read a posting block at a time into numpy arrays.

Whoosh visits a match through a chain of Python calls (matcher -> scorer -> field length), so a broad
query at 100,000 articles spent 100-300 ms ranking its first page, even with block skipping (issue 16).
Here the same matchers Whoosh builds for the query are evaluated as arrays: each term's postings are read
block by block (the codec's own decoding: pickle, deltas, weights), scored with Whoosh's BM25 formula over
arrays, and combined as each matcher combines them. The scores are Whoosh's to the bit: the same inputs,
the same IEEE operations in the same order (a sum over a union or an intersection follows the matcher
tree Whoosh built, an array union adds its terms in Whoosh's order). tests/test_vectorised.py compares
document numbers and scores with Whoosh's own matchers, segment by segment, on deletions and edits too.

Only the matchers listed in `_EVALUATORS` are evaluated; anything else (a range, a custom weighting, a
sloppy phrase, a codec other than Whoosh 3's) raises `Unsupported` and Whoosh's matchers answer as before.
"""

from __future__ import annotations

import time
import zlib
from array import array
from dataclasses import dataclass
from pickle import loads

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import binary, combo, mcore, wrappers
from whoosh.query.spans import SpanNear2
from whoosh.scoring import BM25FScorer

# Between two looks at the search's deadline: posting blocks read, phrase candidates checked.
CLOCK_EVERY_BLOCKS = 64
CLOCK_EVERY_CANDIDATES = 256


class Unsupported(Exception):
    """A matcher this module does not evaluate: Whoosh's own matchers answer."""


class _Stopped(Exception):
    """The search's deadline passed while reading postings."""


@dataclass
class Matches:
    """One segment's matches: local document numbers (ascending, int64) and their scores (float64)."""

    ids: np.ndarray
    scores: np.ndarray


@dataclass
class _Leaf(Matches):
    """A term's postings (or those a FilterMatcher kept): `index` maps each match to its place in
    `postings`, which reads the positions of a posting on demand (phrases)."""

    postings: _Postings | _Listed
    index: np.ndarray


class _Postings:
    """Where each block of one term's postings in one segment is, to read a posting's value (its positions)
    when a phrase asks: only the blocks of the documents a phrase checks are unpickled in full."""

    def __init__(self, matcher):
        self.postfile, self.format = matcher._postfile, matcher.format
        self.blocks: list[tuple[int, int, int, int]] = []  # (first posting, data offset, data length, compression)
        self._values: dict[int, tuple] = {}
        self._starts: np.ndarray | None = None

    def values_of(self, postings: np.ndarray) -> list:
        """The raw values of these postings (their places in the term's list), reading each block once."""
        if self._starts is None or len(self._starts) != len(self.blocks):
            self._starts = np.fromiter((block[0] for block in self.blocks), dtype=np.int64, count=len(self.blocks))
        blocks = np.searchsorted(self._starts, postings, side="right") - 1
        out = []
        for posting, block in zip(postings.tolist(), blocks.tolist(), strict=True):
            values = self._values.get(block)
            if values is None:
                _, offset, length, compression = self.blocks[block]
                values = self._values[block] = _unpickled(self.postfile.get(offset, length), compression)[2]
            out.append(values[posting - self.blocks[block][0]])
        return out


class _Listed:
    """The values of a rare term's inlined postings (see _inlined), as _Postings gives them."""

    def __init__(self, values: tuple, format_):
        self.values, self.format = values, format_

    def values_of(self, postings: np.ndarray) -> list:
        out = []
        for posting in postings.tolist():
            value = self.values[posting]
            if isinstance(value, list):  # several values of one document, combined as ListMatcher.value does
                value = value[0] if len(value) == 1 else self.format.combine(value)
            out.append(value)
        return out


def all_matches(searcher, query, allow, deadline) -> tuple[np.ndarray, np.ndarray] | None:
    """(global document numbers ascending, their scores) for every match of `query`, only those in `allow`
    (a set of global numbers) if given; where the deadline stopped the pass, the matches of the segments
    read by then, and `deadline.reached` is set, as Whoosh's pass sets it. None where a part of the query is
    not evaluated here."""
    segments = _segments(searcher, query, allow, deadline, lazy=False)
    return None if segments is None else _joined(segments)


def first_page(searcher, query, allow, limit: int, deadline) -> tuple[list, np.ndarray, np.ndarray, bool] | None:
    """(top, docs, scores, complete): the best `limit` (score, global number) pairs as Whoosh's TopCollector
    ranks them, with the matches and scores found. Every match is found (complete) unless the query is an
    exact phrase: then its candidates (the documents with all its words) are checked for the phrase in
    the order of their scores, only until the top is certain, so the matches found are the top's and the
    count is known only if every candidate was checked. None where Whoosh's matchers answer."""
    segments = _segments(searcher, query, allow, deadline, lazy=True)
    if segments is None:
        return None
    phrases = [found for _, found in segments if isinstance(found, _Phrase)]
    if not phrases:
        docs, scores = _joined(segments)
        return top_by_score(docs, scores, limit), docs, scores, not deadline.reached
    segments = [(offset, found) for offset, found in segments if len(found.ids)]
    if not all(isinstance(found, _Phrase) for _, found in segments):
        return None  # a phrase beside other matchers (Whoosh made the query's matcher differently): not here
    docs, scores = _joined(segments)
    owner = np.concatenate([np.full(len(found.ids), i) for i, (_, found) in enumerate(segments)] or [[]])
    local = np.concatenate([np.arange(len(found.ids)) for _, found in segments] or [[]]).astype(np.int64)
    kept, checked_all = [], True
    try:
        for i in np.lexsort((docs, -scores)):
            if segments[owner[i]][1].holds(local[i]):
                kept.append(i)
                if len(kept) == limit:
                    checked_all = False
                    break
    except _Stopped:
        deadline.reached = True
    kept = np.sort(np.asarray(kept, dtype=np.int64))
    docs, scores = docs[kept], scores[kept]
    return top_by_score(docs, scores, limit), docs, scores, checked_all and not deadline.reached


def top_by_score(docs: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[float, int]]:
    """(score, number) of the best `limit` documents: highest score first, then lowest number (Whoosh's
    TopCollector keeps the lower number on a tie)."""
    if len(docs) > limit * 4:
        # Only the documents scoring at least the limit-th best can be in the top: cut before sorting.
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        keep = scores >= threshold
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((docs, -scores))[:limit]
    return [(float(s), int(d)) for s, d in zip(scores[order], docs[order], strict=True)]


def _segments(searcher, query, allow, deadline, *, lazy: bool) -> list[tuple[int, Matches]] | None:
    """(offset, matches) of each segment read before the deadline, only documents in `allow` kept."""
    if searcher.weighting.use_final:
        return None
    context = searcher.context()
    allowed = None if allow is None else np.fromiter(allow, dtype=np.int64, count=len(allow))
    segments = []
    try:
        for subsearcher, offset in searcher.leaf_searchers():
            run = _Run(deadline)
            _check(run)
            found = evaluate(query.matcher(subsearcher, context), run, lazy=lazy)
            if allowed is not None:
                keep = np.isin(found.ids + offset, allowed, assume_unique=True)
                found = _kept(found, keep)
            segments.append((offset, found))
    except Unsupported:
        return None
    except _Stopped:
        deadline.reached = True
    return segments


def _kept(found: Matches, keep: np.ndarray) -> Matches:
    if isinstance(found, _Phrase):
        return _Phrase(found.ids[keep], found.scores[keep], found.words, found.run)
    return Matches(found.ids[keep], found.scores[keep])


def _joined(segments) -> tuple[np.ndarray, np.ndarray]:
    """Every segment's matches as global numbers (ascending: segments come in offset order) and scores."""
    if not segments:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    docs = np.concatenate([found.ids + offset for offset, found in segments])
    return docs, np.concatenate([found.scores for _, found in segments])


def evaluate(matcher, run=None, *, lazy: bool = False) -> Matches:
    """The matches of one segment's matcher, as arrays. With `lazy`, an exact phrase at the top is left
    as its candidates (a `_Phrase`), which a first page checks only as far as it needs."""
    run = run or _Run(None)
    found = run.memo.get(id(matcher))
    if found is None:
        evaluator = _EVALUATORS.get(type(matcher))
        if evaluator is None:
            raise Unsupported(type(matcher).__name__)
        found = run.memo[id(matcher)] = evaluator(matcher, run)
    if isinstance(found, _Phrase) and not lazy:
        found = run.memo[id(matcher)] = found.verified()
    return found


class _Run:
    """One segment's evaluation: the search's deadline, and each matcher's matches (a phrase's words are
    read once, for their positions and for their intersection)."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.memo: dict[int, Matches] = {}


def _check(run) -> None:
    if run.deadline is not None and time.monotonic() > run.deadline.at:
        raise _Stopped


def _null(matcher, run) -> Matches:
    return Matches(np.zeros(0, np.int64), np.zeros(0, np.float64))


def _leaf(matcher, run) -> _Leaf:
    """A term's postings in one segment, scored as BM25FScorer.score scores each one."""
    scorer = matcher.scorer
    if type(scorer) is not BM25FScorer:
        raise Unsupported("a weighting other than BM25F")
    if matcher._byteids:
        raise Unsupported("term vectors")
    postings = _Postings(matcher)
    ids, weights, count = [], [], 0
    matcher.reset()
    while not matcher._atend:
        if not len(postings.blocks) % CLOCK_EVERY_BLOCKS:
            _check(run)
        offset, length = matcher._dataoffset, matcher._nextoffset - matcher._dataoffset
        postings.blocks.append((count, offset, length, matcher._compression))
        block_ids, block_weights = _read_block(matcher._postfile.get(offset, length), matcher)
        ids.append(block_ids)
        weights.append(block_weights)
        count += matcher._blocklength
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    matcher.reset()
    if not ids:
        return _Leaf(np.zeros(0, np.int64), np.zeros(0, np.float64), postings, np.zeros(0, np.int64))
    local = np.concatenate(ids)
    return _Leaf(local, _bm25(scorer, local, np.concatenate(weights)), postings, np.arange(len(local)))


def _inlined(matcher, run) -> _Leaf:
    """A ListMatcher: the postings of a rare term, kept in the term's entry (the codec inlines them), read
    and scored as ListMatcher.weight and .score read and score each one."""
    ids = np.asarray(matcher._ids, dtype=np.int64)
    if matcher._all_weights:
        tf = np.full(len(ids), matcher._all_weights, dtype=np.float64)
    elif matcher._weights:
        tf = np.asarray(matcher._weights, dtype=np.float64)
    else:
        tf = np.ones(len(ids))
    scores = tf if matcher._scorer is None else _bm25(matcher._scorer, ids, tf)
    return _Leaf(ids, scores, _Listed(matcher._values or (), matcher._format), np.arange(len(ids)))


def _bm25(scorer, ids: np.ndarray, tf: np.ndarray) -> np.ndarray:
    """BM25FScorer.score of each posting (term frequency `tf`) of these documents of the scorer's segment."""
    lengths = getattr(getattr(scorer, "dfl", None), "__self__", None)
    if type(scorer) is not BM25FScorer or type(lengths) is not array or lengths.typecode != "i":
        raise Unsupported("a weighting other than BM25F with decoded field lengths")
    fl = np.frombuffer(lengths, dtype=np.int32)[ids]
    idf, avgfl, B, K1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
    # whoosh.scoring.bm25, term for term: idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
    return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))


# The opcodes of a block's pickle (protocol 2) read directly: the ids and weights come first.
_BININT1, _BININT2, _BININT, _BINFLOAT, _NONE, _MARK, _TUPLE, _BINPUT, _LONG_BINPUT = b"KMJGN(tqr"
_SMALL_INTS = np.dtype([("op", "u1"), ("value", "u1")])
_FLOATS = np.dtype([("op", "u1"), ("value", ">f8")])


def _read_block(data: bytes, matcher) -> tuple[np.ndarray, np.ndarray]:
    """One block's document numbers and weights, as W3LeafMatcher._read_ids and _read_weights give them.

    A block is a zlib-compressed pickle of (id deltas, weights, values); unpickling the values (each
    posting's positions, as a pickled string turned into bytes by a function call) was two thirds of the
    time. The ids and weights come first, so the usual shape (one opcode per id delta, all but the first
    below 256; weights absent, one float, or one float each) is read from the first part of the stream
    with numpy; any other shape is unpickled whole."""
    count = matcher._blocklength
    raw = zlib.decompressobj().decompress(data, 11 * count + 32) if matcher._compression else data
    found = _ids_and_weights(raw, count) if count > 3 else None
    deltas, weights = found or _unpickled(data, matcher._compression)[:2]
    # As W3LeafMatcher._read_weights: none stored is 1.0 each, one stored for all is kept as a 4-byte float.
    if weights is None:
        weights = np.ones(count)
    elif isinstance(weights, float):
        weights = np.full(count, np.float32(weights), dtype=np.float64)
    else:
        weights = np.asarray(weights, dtype=np.float64)
    # delta_encode: each id from the previous one, the first from 0
    return np.cumsum(np.asarray(deltas, dtype=np.int64)), weights


def _unpickled(data: bytes, compression) -> tuple:
    """A block's whole (id deltas, weights, values), as W3LeafMatcher._read_data reads it."""
    return loads(zlib.decompress(data) if compression else data)


def _ids_and_weights(raw: bytes, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(id deltas, weights as pickled: None, one float or an array) read from the opcodes, or None where they
    are not in the usual shape."""
    if raw[:3] != b"\x80\x02(":
        return None
    op, pos = raw[3], 4
    if op == _BININT1:
        first, pos = raw[pos], pos + 1
    elif op == _BININT2:
        first, pos = int.from_bytes(raw[pos : pos + 2], "little"), pos + 2
    elif op == _BININT:
        first, pos = int.from_bytes(raw[pos : pos + 4], "little", signed=True), pos + 4
    else:
        return None
    end = pos + 2 * (count - 1)
    if len(raw) < end + 7 + 9 * count:
        return None
    rest = np.frombuffer(raw, dtype=_SMALL_INTS, count=count - 1, offset=pos)
    if not (rest["op"] == _BININT1).all() or raw[end] != _TUPLE:
        return None
    deltas = np.empty(count, dtype=np.int64)
    deltas[0], deltas[1:] = first, rest["value"]
    pos = end + 1
    if raw[pos] == _BINPUT:
        pos += 2
    elif raw[pos] == _LONG_BINPUT:
        pos += 5
    else:
        return None
    op = raw[pos]
    if op == _NONE:
        return deltas, None
    if op == _BINFLOAT:  # one weight for all
        return deltas, float(np.frombuffer(raw, dtype=">f8", count=1, offset=pos + 1)[0])
    if op != _MARK:
        return None
    floats = np.frombuffer(raw, dtype=_FLOATS, count=count, offset=pos + 1)
    if not (floats["op"] == _BINFLOAT).all() or raw[pos + 1 + 9 * count] != _TUPLE:
        return None
    return deltas, floats["value"].astype(np.float64)


def _wrapping(matcher, run) -> Matches:
    """WrappingMatcher: the child's matches, each score times the boost."""
    found = evaluate(matcher.child, run)
    return Matches(found.ids, found.scores * matcher.boost)


def _filter(matcher, run) -> Matches:
    """FilterMatcher: the child's matches in (or, with exclude, not in) a set of ids, times the boost:
    each segment with deleted documents puts one around every term's postings."""
    found = evaluate(matcher.child, run)
    listed = np.fromiter(matcher._ids, dtype=np.int64, count=len(matcher._ids))
    keep = np.isin(found.ids, listed, assume_unique=True, invert=bool(matcher._exclude))
    if isinstance(found, _Leaf):  # a phrase reads the positions of the postings kept
        return _Leaf(found.ids[keep], found.scores[keep] * matcher.boost, found.postings, found.index[keep])
    return Matches(found.ids[keep], found.scores[keep] * matcher.boost)


def _union(matcher, run) -> Matches:
    """UnionMatcher: either side's documents; where both match, a.score() + b.score()."""
    a, b = evaluate(matcher.a, run), evaluate(matcher.b, run)
    ids = np.union1d(a.ids, b.ids)
    scores = np.zeros(len(ids))
    scores[np.searchsorted(ids, a.ids)] = a.scores
    scores[np.searchsorted(ids, b.ids)] += b.scores  # 0.0 + b is b; a + b where both match
    return Matches(ids, scores)


def _intersection(matcher, run) -> Matches:
    """IntersectionMatcher: documents both sides match, a.score() + b.score()."""
    a, b = evaluate(matcher.a, run), evaluate(matcher.b, run)
    ids, in_a, in_b = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
    return Matches(ids, a.scores[in_a] + b.scores[in_b])


def _and_not(matcher, run) -> Matches:
    """AndNotMatcher: a's documents that b does not match, a's score."""
    a, b = evaluate(matcher.a, run), evaluate(matcher.b, run)
    keep = np.isin(a.ids, b.ids, assume_unique=True, invert=True)
    return Matches(a.ids[keep], a.scores[keep])


def _and_maybe(matcher, run) -> Matches:
    """AndMaybeMatcher: a's documents; where b matches too, a.score() + b.score()."""
    a, b = evaluate(matcher.a, run), evaluate(matcher.b, run)
    _, in_a, in_b = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
    scores = a.scores.copy()
    scores[in_a] = a.scores[in_a] + b.scores[in_b]
    return Matches(a.ids, scores)


def _require(matcher, run) -> Matches:
    """RequireMatcher: a's documents that b matches too, a's score."""
    a, b = evaluate(matcher.a, run), evaluate(matcher.b, run)
    keep = np.isin(a.ids, b.ids, assume_unique=True)
    return Matches(a.ids[keep], a.scores[keep])


def _array_union(matcher, run) -> Matches:
    """ArrayUnionMatcher (Whoosh's Or on a small segment): each document's scores added into a zeroed
    array in the order of the submatchers, each times the boost (1 for every match when unscored); a
    document whose sum is not above 0 is not a match."""
    total = np.zeros(matcher._doccount)
    for sub in matcher._submatchers:
        found = evaluate(sub, run)
        inside = found.ids < matcher._doccount
        if matcher._scored:
            total[found.ids[inside]] += found.scores[inside] * matcher._boost
        else:
            total[found.ids[inside]] = 1
    ids = np.flatnonzero(total > 0).astype(np.int64)
    return Matches(ids, total[ids])


def _exact_phrase(matcher, run) -> _Phrase:
    """SpanNear2Matcher for an exact phrase (words next to each other, in order): the documents of the
    intersection of its words (Whoosh's tree of IntersectionMatchers, so the same sums), each to be checked
    for the words' positions; scored as the intersection (SpanWrappingMatcher scores as its child)."""
    if matcher.slop != 1 or not matcher.ordered or matcher.mindist != 1:
        raise Unsupported("a phrase with slop")
    words = [evaluate(m, run) for m in matcher.ms]
    if not all(isinstance(w, _Leaf) for w in words) or words[0].postings.format.supports("characters"):
        raise Unsupported("a phrase over other than plain positions")
    found = evaluate(matcher.child, run)  # the words' leaves come from the run's memo
    return _Phrase(found.ids, found.scores * matcher.boost, words, run)


@dataclass
class _Phrase(Matches):
    """An exact phrase's candidates (the documents with all its words, scored): `holds` checks one."""

    words: list[_Leaf]
    run: _Run

    def holds(self, i: int) -> bool:
        """Whether candidate i has the words in a row."""
        return bool(self._in_a_row(self.ids[i : i + 1])[0])

    def verified(self) -> Matches:
        keep = self._in_a_row(self.ids)
        return Matches(self.ids[keep], self.scores[keep])

    def _in_a_row(self, docs: np.ndarray) -> np.ndarray:
        """Which of `docs` (candidates) have the words in a row: phrases._exact_phrase_spans on the same
        positions, decoded by the field's format from each posting's value."""
        values = [word.postings.values_of(word.index[np.searchsorted(word.ids, docs)]) for word in self.words]
        decoders = [word.postings.format.decoder("positions") for word in self.words]
        keep = np.zeros(len(docs), dtype=bool)
        for i, first in enumerate(values[0]):
            if not i % CLOCK_EVERY_CANDIDATES:
                _check(self.run)
            ends = set(decoders[0](first))
            for decode, word_values in zip(decoders[1:], values[1:], strict=True):
                ends = {p for p in decode(word_values[i]) if p - 1 in ends}
                if not ends:
                    break
            keep[i] = bool(ends)
        return keep


_EVALUATORS = {
    W3LeafMatcher: _leaf,
    mcore.ListMatcher: _inlined,
    mcore.NullMatcherClass: _null,
    wrappers.WrappingMatcher: _wrapping,
    wrappers.FilterMatcher: _filter,
    binary.UnionMatcher: _union,
    binary.IntersectionMatcher: _intersection,
    binary.AndNotMatcher: _and_not,
    binary.AndMaybeMatcher: _and_maybe,
    wrappers.RequireMatcher: _require,
    combo.ArrayUnionMatcher: _array_union,
    SpanNear2.SpanNear2Matcher: _exact_phrase,
}
