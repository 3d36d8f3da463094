"""The search index's `spelling` field: every word of an article as the keys its spellings share.

The field holds, position for position with the words of the text (so phrases work), each word's
spelling key (variants.py): Tokayev, Tokaev, Tokaiev and Токаев are all `~tokaev`, English words are
their plain fold. Two more kinds of key sit at the same position as the word's own:

- Cyrillic words also hold the key of their Russian stem (Whoosh's Snowball stemmer), so inflected
  forms meet: Жанаозене stems to жанаозен, the key of Жанаозен and of Zhanaozen. A Cyrillic word whose
  key is no name key (a short or English-looking transliteration: нет -> "net") is marked with
  CYRILLIC_MARK, so it meets Cyrillic words only, never the English word "net".
- Words written in capitals (CSTO, US) also hold CAPITALS_MARK + key, so an alias written in capitals
  matches only capitals ("US" the country, not "us"), as mentions do.

The query side (expansion.py) asks for the same keys with `word_keys`, so index and queries agree.
Changing anything here changes stored keys: bump variants.SCHEME and rebuild the index.
"""

from __future__ import annotations

import functools
import re

from whoosh.analysis import Filter, RegexTokenizer

from articles.names.variants import fold, has_cyrillic, is_variant_key, spelling_key

SPELLING_FIELD = "spelling"
CYRILLIC_MARK = "^"
CAPITALS_MARK = "="
WORD = re.compile(r"\w+")


@functools.cache
def _russian_stem():
    from whoosh.lang import stemmer_for_language

    return functools.lru_cache(maxsize=100_000)(stemmer_for_language("ru"))


def _cyrillic_key(word: str) -> str:
    key = spelling_key(word)
    return key if is_variant_key(key) else CYRILLIC_MARK + key


@functools.lru_cache(maxsize=200_000)
def word_keys(word: str) -> tuple[str, ...]:
    """The keys one word (as written) is indexed under; the first is its own spelling key."""
    key = spelling_key(word)
    if not key:
        return ()
    if not has_cyrillic(word):
        keys = [key]
    else:
        lower = word.lower()
        keys = [_cyrillic_key(word)]
        stem = _russian_stem()(lower)
        if stem != lower and fold(stem):
            keys.append(_cyrillic_key(stem))
    if len(word) >= 2 and word.isupper():
        keys.append(CAPITALS_MARK + keys[0])
    return tuple(dict.fromkeys(keys))


def capitals_key(word: str) -> str:
    """The key a word written in capitals is also indexed under."""
    keys = word_keys(word)
    return CAPITALS_MARK + keys[0] if keys else ""


class SpellingKeyFilter(Filter):
    """Replaces each word by its keys (word_keys), the extra ones at the same position."""

    def __call__(self, tokens):
        for t in tokens:
            keys = word_keys(t.text)
            for key in keys:
                t.text = key
                yield t


def spelling_analyzer():
    return RegexTokenizer(r"\w+") | SpellingKeyFilter()


def text_keys(text: str) -> list[tuple[tuple[str, ...], int, int]]:
    """(keys, start, end) of every word of `text`, as the spelling field holds them (for highlighting)."""
    out = []
    for m in WORD.finditer(text):
        keys = word_keys(m.group())
        if keys:
            out.append((keys, m.start(), m.end()))
    return out
