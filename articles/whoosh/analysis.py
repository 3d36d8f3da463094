"""How text becomes index terms: one analyzer for indexing, queries and highlighting alike.

It lower-cases, folds accents (Akordá finds Akorda), drops English stop words and stems English, but never
stems a `prefix*` or `wild?card` query term (the stock analyzer stems "protest*" into nonsense). Stemming
goes through a C-level LRU cache in one generator, the hot loop of indexing and snippets.
"""

from __future__ import annotations

import functools

from whoosh.analysis import RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map


class WildcardSafeStemFilter(StemFilter):
    """Stem words, but leave query terms with wildcards alone (stemming "protest*" breaks the prefix).

    Same tokens as StemFilter, in one generator and with functools' C LRU cache instead of Whoosh's
    pure-Python LFU cache: stemming is most of the analysis time when indexing and making snippets.
    """

    def clear(self):
        stemfn = self.stemfn
        if self.lang:
            from whoosh.lang import stemmer_for_language

            stemfn = stemmer_for_language(self.lang)
        size = self.cachesize
        if isinstance(size, int) and size != 0 and size != 1:
            self._stem = functools.lru_cache(maxsize=None if size < 0 else size)(stemfn)
        else:
            self._stem = stemfn

    def cache_info(self):
        return self._stem.cache_info() if hasattr(self._stem, "cache_info") else None

    def __call__(self, tokens):
        stemfn = self._stem
        ignore = self.ignore
        for t in tokens:
            if not t.stopped:
                text = t.text
                if t.mode == "query" and ("*" in text or "?" in text):
                    yield t
                    continue
                if text not in ignore:
                    t.text = stemfn(text)
            yield t


class FoldStopFilter(StopFilter):
    """LowercaseFilter | CharsetFilter(accent_map) | StopFilter in one generator (same tokens, fewer hops)."""

    def __init__(self, charmap=accent_map, **kwargs):
        super().__init__(**kwargs)
        self.charmap = charmap

    def __eq__(self, other):
        return super().__eq__(other) and self.charmap == other.charmap

    def __call__(self, tokens):
        charmap = self.charmap
        stoplist = self.stops
        minsize = self.min
        maxsize = self.max
        renumber = self.renumber
        pos = None
        for t in tokens:
            t.text = text = t.text.lower().translate(charmap)
            n = len(text)
            if n >= minsize and (maxsize is None or n <= maxsize) and text not in stoplist:
                if renumber and t.positions:
                    if pos is None:
                        pos = t.pos
                    else:
                        pos += 1
                        t.pos = pos
                t.stopped = False
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


class WildcardQueryTokenizer(RegexTokenizer):
    """Words; in queries also words with wildcards (`protest*`, `minist?r`), which the parser needs whole.

    Only in queries: text is split at `*` and `?` like at any punctuation. One tokenizer for both
    indexed "prisoner?" as the term `prisoner?`, so `prisoner` never found that article and a phrase
    ending before a question mark never matched (issue 10).
    """

    def __init__(self):
        super().__init__(r"\w+")
        self.query_tokenizer = RegexTokenizer(r"\w+(?:[\*\?]\w*)*[\*\?]?|[\*\?]\w+")

    def __call__(self, value, **kwargs):
        if kwargs.get("mode") == "query":
            return self.query_tokenizer(value, **kwargs)
        return super().__call__(value, **kwargs)


def archive_analyzer():
    """Tokenize, lower-case, fold accents, drop English stop words, stem (English).

    Same tokens as WildcardQueryTokenizer | LowercaseFilter | CharsetFilter(accent_map) | StopFilter |
    WildcardSafeStemFilter (tests/test_backend.py checks), with the three middle steps fused.
    """
    return WildcardQueryTokenizer() | FoldStopFilter() | WildcardSafeStemFilter()
