"""Words as the analysis tools count them.

Words are split exactly as the search index splits them (runs of letters and digits, `\\w+`), lower-cased
and accent-folded with the index's own map ("Akordá" counts as "akorda"), but NOT stemmed: a keyness
table lists the forms the texts use ("protests", "protesters"). tests/test_analysis_tokens.py checks that
these words equal the index analyzer's tokens before stemming, so counts and search agree on what a word is.

Stop words are counted (they are part of every total) and flagged, so the pages can hide them by default.
The flag covers the index's own stop list, single characters (the "s" of "Tokayev’s") and the common
English function words below.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh.analysis import STOP_WORDS as INDEX_STOP_WORDS
from whoosh.support.charset import accent_map

WORD_RE = re.compile(r"\w+")

# English function words (pronouns, determiners, auxiliaries, prepositions, conjunctions, a few adverbs),
# written for this archive. Content words a framing study may care about ("against", "without", "never")
# are deliberately not here.
FUNCTION_WORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each else even ever every few for from further had
    has have having he her here hers herself him himself his how however i if in into is it its itself
    just me more most much must my myself no nor not now of off on once one only or other our ours
    ourselves out over own per same she should so some such than that the their theirs them themselves
    then there these they this those through thus to too under until up upon very was we were what when
    where whether which while who whom whose why will with would yet you your yours yourself yourselves
    s t d ll m re ve aren couldn didn doesn don hadn hasn haven isn mustn shouldn wasn weren won wouldn
    """.split()
)
STOP_WORDS = frozenset(INDEX_STOP_WORDS) | FUNCTION_WORDS


@functools.lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower-case and fold accents as the index does (cached: a text repeats most of its words)."""
    return word.lower().translate(accent_map)


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # folded
    start: int
    end: int


def words(text: str) -> Iterator[Word]:
    """Every word of the text with its character span, stop words included."""
    for m in WORD_RE.finditer(text):
        yield Word(fold(m.group()), m.start(), m.end())


def is_stop(word: str) -> bool:
    return len(word) < 2 or word in STOP_WORDS


def count_words(text: str, counts: Counter, bigrams: Counter | None = None) -> int:
    """Add the text's words (and, if asked, adjacent word pairs within a paragraph) to the counters;
    return the number of words added."""
    n = 0
    for paragraph in text.split("\n\n"):
        folded = [fold(w) for w in WORD_RE.findall(paragraph)]
        counts.update(folded)
        n += len(folded)
        if bigrams is not None and len(folded) > 1:
            bigrams.update(zip(folded, folded[1:], strict=False))
    return n


def is_stop_bigram(pair: tuple[str, str]) -> bool:
    """A pair is hidden with the stop words when either word is one ("of the", "head of")."""
    return is_stop(pair[0]) or is_stop(pair[1])
