"""Whoosh's block-quality skipping, made safe for matchers that filter their child's documents.

A top-k collector skips posting blocks that cannot reach the top (`skip_to_quality`). Whoosh's
`WrappingMatcher.skip_to_quality` hands the skip to the child and stops there, and two wrappers that filter
the child's documents inherit it without checking the document the child lands on:

- `FilterMatcher`, which every segment with deleted documents puts around each term's postings, so a skip
  could land on a deleted document (an edited article's old version, a removed article);
- `SpanWrappingMatcher`, under every phrase (`"interest rates"`), so a skip could land on a document that
  has both words but not the phrase.

The collector then took that document as a match: a wrong first result, a wrong count (Whoosh 2.7.4, the
last release; tests/test_whoosh_skipping.py shows both). The fix: after the child skips, the wrapper finds
its next real match, as it does after `next()` and `skip_to()`.
"""

from __future__ import annotations

from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.spans import SpanWrappingMatcher


def _skip_to_quality_then_filter(self, minquality):
    skipped = self.child.skip_to_quality(minquality / self.boost)
    self._find_next()
    return skipped


for _cls in (FilterMatcher, SpanWrappingMatcher):
    _cls.skip_to_quality = _skip_to_quality_then_filter
