"""Whoosh's `-word` (AND NOT) and `REQUIRE`, fixed to match what they say (Whoosh 2.7.4, the last release).

- `AndNotMatcher` checked its first document only against the excluded term's *current* posting, without
  first moving that term up to it: when the excluded term's postings start earlier in the segment, the
  segment's first document of the wanted term was returned even if it has the excluded word
  (`Tokayev -Russia` could list an article that names Russia). Every later document was checked properly
  (`_find_next` skips first), so the first is now found as every other one is.
- `Require.matcher` (`market REQUIRE oil`: articles with both, scored by the first) built an
  `AndNotMatcher`, which returns the articles *without* the second word, while `Require.docs` (used by a
  sorted search) returned those with both: the same query listed opposite articles by relevance and by date.
  It now builds the `RequireMatcher` the class names.

tests/test_vectorised.py shows both against the matches of the terms themselves.
"""

from __future__ import annotations

from whoosh.matching.binary import AndNotMatcher
from whoosh.matching.wrappers import RequireMatcher
from whoosh.query.compound import Require


def _find_first(self):
    if self.a.is_active() and self.b.is_active():
        self._find_next()


def _require_matcher(self, searcher, context=None):
    return RequireMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


AndNotMatcher._find_first = _find_first
Require.matcher = _require_matcher
