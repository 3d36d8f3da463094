"""BM25F as Whoosh scores it, with each segment's field lengths read once instead of once per match.

Whoosh's scorer looks a matched document's field length up through five Python calls and a read from the
segment's length column (searcher -> reader -> per-document reader -> column -> file), about a fifth of a
broad query's ranking time at 100,000 articles. Here the column is decoded once per segment and field (an
`array` of 4 bytes a document, kept with the segment's reader, which lives as long as the segment) and the
scorer looks lengths up with one C-level index. Scores are Whoosh's to the bit: the same bytes, the same
decoding table, the same formula.
"""

from __future__ import annotations

from array import array

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

# Whoosh's decoding of a length byte, with its answer for 0 (no length stored: None, not 0).
_DECODED = [None, *(byte_to_length(b) for b in range(1, 256))]


class ArchiveBM25F(BM25F):
    """Whoosh's BM25F (same parameters, same scores) with field lengths looked up from a decoded column."""

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if type(scorer) is BM25FScorer:
            lengths = segment_field_lengths(searcher.reader(), fieldname)
            if lengths is not None:
                scorer.dfl = lengths.__getitem__
        return scorer


def segment_field_lengths(reader, fieldname: str):
    """The decoded field length of every document of one segment (a sequence indexed by the segment's own
    document numbers), or None where the reader is not a plain segment reader (a multi-segment reader, a
    codec other than Whoosh 3's): Whoosh's own lookup serves those."""
    cache = getattr(reader, "_kz_field_lengths", None)
    if cache is None:
        cache = {}
        try:
            reader._kz_field_lengths = cache
        except AttributeError:
            return None
    if fieldname not in cache:
        cache[fieldname] = _decode_lengths(reader, fieldname)
    return cache[fieldname]


def _decode_lengths(reader, fieldname: str):
    perdoc = getattr(reader, "_perdoc", None)
    column_reader = getattr(perdoc, "_cached_reader", None)
    if column_reader is None:
        return None
    column = column_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    count, doccount = getattr(column, "_count", None), getattr(column, "_doccount", None)
    if column is None or getattr(column, "_fixedlen", None) != 1 or count is None or doccount is None:
        return None
    raw = _read_twice(column._dbfile, column._basepos, count)
    if raw is None:
        return None
    raw += bytes(max(0, doccount - count))
    decoded = [_DECODED[b] for b in raw]
    if None in decoded:  # a document without a stored length: Whoosh answers None for it; so must we
        return decoded
    return array("i", decoded)


def _read_twice(dbfile, position: int, length: int) -> bytes | None:
    """The column's bytes, read until two reads agree. A Whoosh file is a seek and a read, so a thread that
    shares it can move the position in between: one misread scores one document wrongly, but these bytes are
    kept for the segment's life. None (Whoosh's own lookup) if three pairs of reads disagree."""
    for _ in range(3):
        first, second = dbfile.get(position, length), dbfile.get(position, length)
        if first == second and len(first) == length:
            return bytes(first)
    return None
