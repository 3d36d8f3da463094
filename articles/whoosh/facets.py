"""Facet counts over the documents a search matched, from values read once per index segment."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime
from itertools import chain

import numpy as np
from haystack.exceptions import SearchBackendError
from whoosh import query as wq
from whoosh.fields import KEYWORD
from whoosh.sorting import DateRangeFacet, FieldFacet
from whoosh.support.relativedelta import relativedelta

from articles.whoosh.reading import ALL_DOCS, segment_key

_CODES_LOCK = threading.Lock()  # facet codes are numbered in one shared table per field
_EMPTY = np.zeros(0, dtype=np.int32)


class FacetCounting:
    """Facets of ArchiveWhooshBackend (articles/whoosh/backend.py), cached per segment (reading.IndexReading)."""

    def _segment_facet_values(self, subsearcher, top_searcher, facet: FieldFacet, fieldname: str) -> list:
        """The facet keys of every document of one segment, as Whoosh's own categorizer names them."""

        def compute():
            categorizer = facet.categorizer(top_searcher)
            categorizer.set_searcher(subsearcher, 0)
            to_name = categorizer.key_to_name
            shared = {}  # one object per distinct value (or tuple of values), not one per document
            count = subsearcher.reader().doc_count_all()
            if facet.allow_overlap:
                keys_for = categorizer.keys_for
                values = [tuple(to_name(k) for k in keys_for(None, d)) for d in range(count)]
            else:
                key_for = categorizer.key_for
                values = [to_name(key_for(None, d)) for d in range(count)]
            return [shared.setdefault(v, v) for v in values]

        return self._segment_cached(subsearcher.reader(), "facet", fieldname, compute)

    def _facet_counts(self, searcher, docs, facet_names: list[str]) -> dict:
        """haystack's facet structure, counted from the matched documents (as FieldFacet + Count would);
        docs is a numpy array of document numbers or ALL_DOCS."""
        fields = {}
        leaves = searcher.leaf_searchers()
        for fieldname in facet_names:
            facet = self._field_facet(fieldname)
            if docs is ALL_DOCS:
                counts = Counter()
                for sub, _ in leaves:
                    counts.update(self._segment_live_counts(sub, searcher, facet, fieldname))
            else:
                counts = self._counted_codes(searcher, docs, facet, fieldname)
            fields[fieldname] = _sorted_counts(counts)
        return {"fields": fields, "dates": {}, "queries": {}}

    def _field_facet(self, fieldname: str) -> FieldFacet:
        """Whoosh's facet of a field: one value a document, or several (a KEYWORD field: authors, mentions)."""
        return FieldFacet(fieldname, allow_overlap=type(self.schema[fieldname]) is KEYWORD)

    def _facet_codes(self, searcher, facet: FieldFacet, fieldname: str) -> tuple:
        """(pair documents or None, codes, names): every document's facet value as a number, kept for this
        generation. Single values: codes[document]. Several values (KEYWORD): pairs of (document, code).

        Built from each segment's own codes (_segment_codes, computed once per segment), so a new
        generation after a save numbers only its new segment's documents, not all of them again (at
        10,000 articles, 25-30 ms of CPU per facet field on the first search after every save)."""

        def compute():
            parts, size = [], 0
            for sub, offset in searcher.leaf_searchers():
                if offset != size:  # leaf offsets are cumulative doc_count_all()
                    raise SearchBackendError("Unexpected segment layout for facet counting")
                parts.append(self._segment_codes(sub, searcher, facet, fieldname))
                size += sub.reader().doc_count_all()
            names = list(self._facet_names(fieldname))  # every code any of these segments uses
            if facet.allow_overlap:
                offsets = [offset for _, offset in searcher.leaf_searchers()]
                pair_docs = np.concatenate([d + o for (d, _), o in zip(parts, offsets, strict=True)] or [_EMPTY])
                codes = np.concatenate([c for _, c in parts] or [_EMPTY])
            else:
                pair_docs = None
                codes = np.concatenate([c for _, c in parts] or [_EMPTY])
            return pair_docs, codes, names, size

        return self._generation_cached(searcher, "codes", fieldname, compute)

    def _facet_names(self, fieldname: str) -> dict:
        """value -> code for one facet field, shared by every segment (and kept across generations: a code
        never changes meaning, so segments' codes computed in earlier generations stay valid)."""
        return self._facet_name_codes.setdefault(fieldname, {})

    def _segment_codes(self, subsearcher, top_searcher, facet: FieldFacet, fieldname: str) -> tuple:
        """(pair documents or None, codes) of one segment, documents numbered within it."""

        def compute():
            values = self._segment_facet_values(subsearcher, top_searcher, facet, fieldname)
            with _CODES_LOCK:
                names = self._facet_names(fieldname)
                if facet.allow_overlap:
                    pairs = [(d, names.setdefault(v, len(names))) for d, vs in enumerate(values) for v in vs]
                    pair_docs = np.fromiter((d for d, _ in pairs), dtype=np.int32, count=len(pairs))
                    return pair_docs, np.fromiter((c for _, c in pairs), dtype=np.int32, count=len(pairs))
                codes = np.fromiter(
                    (names.setdefault(v, len(names)) for v in values), dtype=np.int32, count=len(values)
                )
                return None, codes

        return self._segment_cached(subsearcher.reader(), "codes", fieldname, compute)

    def _counted_codes(self, searcher, docs: np.ndarray, facet: FieldFacet, fieldname: str) -> Counter:
        """Facet counts over matched documents (a numpy array) from the generation's codes: what the Counter
        over their values gives, in one bincount."""
        pair_docs, codes, names, size = self._facet_codes(searcher, facet, fieldname)
        if pair_docs is None:
            counted = np.bincount(codes[docs], minlength=len(names))
        else:
            chosen = np.zeros(size, dtype=bool)
            chosen[docs] = True
            counted = np.bincount(codes[chosen[pair_docs]], minlength=len(names))
        return Counter({names[i]: int(counted[i]) for i in np.flatnonzero(counted)})

    def _segment_live_counts(self, subsearcher, top_searcher, facet: FieldFacet, fieldname: str) -> Counter:
        """Facet counts over every live document of one segment (browsing everything), recounted only
        when the segment's deletions change."""
        reader = subsearcher.reader()
        key = (segment_key(reader), "live", fieldname)
        live = reader.doc_count()
        cached = self._per_segment.get(key)
        if cached is None or cached[0] != live:
            values = self._segment_facet_values(subsearcher, top_searcher, facet, fieldname)
            if reader.has_deletions():
                is_deleted = reader.is_deleted
                values = [v for d, v in enumerate(values) if not is_deleted(d)]
            counts = Counter(chain.from_iterable(values) if facet.allow_overlap else values)
            cached = self._per_segment[key] = (live, counts)
        return cached[1]

    def _date_facet_counts(self, searcher, docs, date_facets: dict) -> dict:
        """haystack's date_facets ({field: {start_date, end_date, gap_by, gap_amount}}) counted over the
        matched documents as Whoosh's DateRangeFacet groups them; documents outside every range count
        under None, as in haystack's own backend."""

        def as_datetime(value):
            return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)

        docs = list(searcher.docs_for_query(wq.Every())) if docs is ALL_DOCS else docs.tolist()
        dates = {}
        for field, spec in date_facets.items():
            if not isinstance(spec.get("start_date"), date) or not isinstance(spec.get("end_date"), date):
                raise SearchBackendError(f"date_facets[{field!r}] needs a start_date and an end_date")
            gap = relativedelta(**{f"{spec['gap_by']}s": spec.get("gap_amount", 1)})
            facet = DateRangeFacet(field, as_datetime(spec["start_date"]), as_datetime(spec["end_date"]), gap)
            buckets = [(name, set(query.docs(searcher))) for name, query in facet.querydict.items()]
            counts = Counter(next((name for name, members in buckets if doc in members), None) for doc in docs)
            dates[field] = _sorted_counts(counts)
        return dates


def _sorted_counts(counts: Counter) -> list:
    """(value, count) pairs, most first, then by value; the None group placed as haystack places it."""
    none_item = counts.pop(None, None)
    lst = sorted(counts.items(), key=lambda itm: (-itm[1], itm[0]))
    if none_item is None:
        return lst
    none_entry = (None, none_item)
    if not lst or lst[-1][1] >= none_item:
        return [*lst, none_entry]
    for i, value in enumerate(lst):
        if value[1] < none_item:
            return [*lst[:i], none_entry, *lst[i:]]
    return lst
