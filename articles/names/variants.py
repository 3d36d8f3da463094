"""The spelling-variant key of a token: one key for Tokayev, Tokaev, Tokaiev, Toqaev, Токаев and Тоқаев.

Two steps, and a gate between them:

1. `fold`: the token in plain lower-case ASCII. Kazakh Cyrillic letters first become the Russian
   letters outlets romanise them as (қ→к, ғ→г, ң→н, ө→о, ұ/ү→у, һ→х, і→и, ә→а), soft and hard
   signs go (Васильев, not Vasil'ev), Turkic ş/ç become sh/ch; then anyascii transliterates
   whatever script remains (Cyrillic, diacritics: Akordá → akorda).
2. `romanisation_key`: merges what romanisations of Russian and Kazakh disagree on (RULES below:
   Kazakh Latin q, zh/j, kh/h, y/i between vowels, ye/e, doubled consonants, -iy/-ii/-y endings).

The gate: the rules apply only to tokens that are not ordinary English words (at least 4 letters,
no digits, not in pyspellchecker's English word list), and their keys live apart from plain words
(they start with "~"). So "voice" never meets "Voyce", "web" never meets "Webb", and "year" keeps its
y: an English word matches only itself. The price: a name whose one spelling is itself in the English
word list (Maria, Andrei, Yuri, Alexei) does not meet its other spellings by rule; the entity table
(curated aliases) joins those. `benchmarks/name_variants.py` measures the false merges on the BBC
News vocabulary (README, "Names across spellings").

Every function here is pure and cached per token, so an analyzer can call `spelling_key` per token.
Changing a rule, the word list or anyascii changes keys: bump SCHEME so stored keys are recomputed.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

# Stored keys (mentions now, the index later) were made under this scheme; change it with the rules.
SCHEME = "variants-1"

# Keys of tokens the rules applied to start with this, so they never equal an English word's fold.
NAME_MARK = "~"
MIN_NAME_LETTERS = 4  # shorter tokens are acronyms or function words: "bbc"/"bcc", "dj"/"jj"

# Kazakh Cyrillic letters -> the Russian letters romanisations treat them as; signs that romanise to
# an apostrophe (which would split the token) or to nothing; Turkic Latin letters anyascii would
# flatten to one letter (ş -> s) where romanisations of Kazakh and Russian write two (sh).
_PRE_FOLD = str.maketrans(
    {
        "қ": "к",
        "ғ": "г",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ә": "а",
        "ь": "",
        "ъ": "",
        "ş": "sh",
        "ç": "ch",
    }
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

V = "aeiou"  # vowels for the rules; y is the consonant/semivowel the rules decide about

# (what it merges, pattern, replacement, real pairs it joins): applied in this order to a folded token.
RULES: list[tuple[str, re.Pattern, str, tuple[str, ...]]] = [
    ("Kazakh Latin q is k", re.compile("q"), "k", ("Toqaev", "Tokaev")),
    ("zh, dzh, dj and Kazakh Latin j are one sound", re.compile("dzh|dj|zh"), "j", ("Zhanaozen", "Janaozen")),
    ("kh and Kazakh Latin h (х)", re.compile("kh"), "h", ("Khromtau", "Hromtau")),
    ("x and ks", re.compile("x"), "ks", ("Alexey", "Aleksey")),
    ("y or i between vowels", re.compile(f"(?<=[{V}])[yi](?=[{V}])"), "", ("Tokayev", "Tokaiev", "Tokaev")),
    ("iotated vowel at the start: ye/e, yu/iu", re.compile(f"^(?:y(?=[{V}])|i(?=[aeu]))"), "", ("Yerlan", "Erlan")),
    (
        "ye/ie/e after a consonant (-yev, -iev)",
        re.compile(f"(?<=[^{V}y])(?:y(?=e)|i(?=ev))"),
        "",
        ("Vasilyev", "Vasiliev"),
    ),
    (
        "y after a vowel, before a consonant or at the end, is i",
        re.compile(f"(?<=[{V}])y(?![{V}])"),
        "i",
        ("Kayrat", "Kairat"),
    ),
    ("doubled consonants", re.compile(f"([^{V}])\\1+"), r"\1", ("Massimov", "Masimov")),
    ("endings -iy, -ii, -yi, -ij, -y", re.compile("(?:iy|ii|yi|ij|y)$"), "i", ("Dmitriy", "Dmitrii", "Dmitry")),
]


@functools.lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """The token as lower-case ASCII letters and digits, any script transliterated ("" if none)."""
    text = unicodedata.normalize("NFKC", token).casefold().translate(_PRE_FOLD)
    return _NOT_ALNUM.sub("", anyascii(text).lower())


def romanisation_key(folded: str) -> str:
    """Apply RULES to a folded token (no gate: `spelling_key` decides whether they apply)."""
    for _, pattern, replacement, _ in RULES:
        folded = pattern.sub(replacement, folded)
    return folded


@functools.cache
def _english_words() -> frozenset[str]:
    """Ordinary English words (and their inflections) the rules must leave alone.

    pyspellchecker's English frequency list (MIT; built from OpenSubtitles), only the entries the gate
    can see: alphabetic, at least MIN_NAME_LETTERS long. Loaded once per process (~0.3 s).
    """
    from spellchecker import SpellChecker

    words = SpellChecker(language="en", distance=1).word_frequency.dictionary
    return frozenset(w for w in words if len(w) >= MIN_NAME_LETTERS and w.isascii() and w.isalpha())


def is_name_like(folded: str) -> bool:
    """Whether the rules apply: letters only, long enough, and not an ordinary English word."""
    return len(folded) >= MIN_NAME_LETTERS and folded.isalpha() and folded not in _english_words()


@functools.lru_cache(maxsize=200_000)
def spelling_key(token: str) -> str:
    """What two tokens must share to be spellings of one name: "~" + rules for name-like tokens, else
    the plain fold (so English words, numbers and acronyms match only themselves)."""
    folded = fold(token)
    if is_name_like(folded):
        return NAME_MARK + romanisation_key(folded)
    return folded


def is_variant_key(key: str) -> bool:
    """Whether a key came from the rules (and may be shared by other spellings)."""
    return key.startswith(NAME_MARK)


def same_name(a: str, b: str) -> bool:
    return spelling_key(a) == spelling_key(b)


# A word of a text or a name, as names are matched (articles/names/mentions.py).
TOKEN = re.compile(r"\w+")


def name_keys(name: str) -> tuple[str, ...]:
    """The keys a name is matched by (two names with the same keys name the same thing)."""
    return tuple(spelling_key(t) for t in TOKEN.findall(name))


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)
