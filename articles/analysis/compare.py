"""Distinctive words of two sets of articles (A and B), each set any search (query and filters).

Counts are of word forms (articles.analysis.tokens: folded, not stemmed), stop words included in every
total. For each word seen at least `min_count` times in A and B together: its counts, G² (two-cell),
log ratio, and the Fightin' Words log-odds z-score (articles.analysis.stats). The prior's background is
the two sets pooled (α_w = α_0 · (a+b)/(N_A+N_B)), so no third reading of the archive is needed; α_0
(default 1,000) is how many words of evidence the prior is worth.

A set that contains the other (a query against the whole archive) is compared as a target against a
reference that includes it, as keyness tools do; the result says how many articles the sets share.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from articles.analysis import stats
from articles.analysis.corpus import Reading, read_bodies
from articles.analysis.tokens import count_words, is_stop, is_stop_bigram
from articles.search import FACETS, SearchParams, matching_ids

DEFAULT_ALPHA0 = 1000.0
DEFAULT_MIN_COUNT = 3
DEFAULT_TOP = 50
RANKS = ("logodds", "g2", "logratio")


@dataclass
class WordSet:
    """One side: its search, what was read, and its counts."""

    name: str  # "A" or "B"
    params: SearchParams
    reading: Reading
    ids: list[int]
    counts: Counter = field(default_factory=Counter)
    total: int = 0

    @property
    def description(self) -> str:
        return describe(self.params)


@dataclass
class Keyword:
    term: str
    a: int
    b: int
    g2: float
    log_ratio: float
    log_odds_z: float
    stop: bool

    @property
    def side(self) -> str:
        return "A" if self.log_odds_z > 0 else "B"


@dataclass
class Comparison:
    a: WordSet
    b: WordSet
    keywords: list[Keyword]
    ngram: int
    alpha0: float
    min_count: int

    @property
    def shared_articles(self) -> int:
        return len(set(self.a.ids) & set(self.b.ids))

    def top(self, side: str, rank: str = "logodds", n: int = DEFAULT_TOP, show_stop: bool = False) -> list[Keyword]:
        """The words most distinctive of `side` ("A" or "B") by the chosen statistic."""
        key = {"logodds": lambda k: abs(k.log_odds_z), "g2": lambda k: k.g2, "logratio": lambda k: abs(k.log_ratio)}[
            rank
        ]
        chosen = [k for k in self.keywords if k.side == side and (show_stop or not k.stop)]
        chosen.sort(key=lambda k: (-key(k), k.term))
        return chosen[:n]


def describe(params: SearchParams) -> str:
    parts = [f"“{params.q}”"] if params.q.strip() else []
    for name in FACETS:
        for value in getattr(params, name):
            parts.append(f"{name}: {value}")
    if params.date_from:
        parts.append(f"from {params.date_from.isoformat()}")
    if params.date_to:
        parts.append(f"to {params.date_to.isoformat()}")
    return "; ".join(parts) or "the whole archive"


def read_set(name: str, params: SearchParams, ngram: int) -> WordSet:
    matches = matching_ids(params)
    reading = Reading(matches.count, message=matches.message)
    word_set = WordSet(name, params, reading, matches.ids)
    unigrams: Counter = Counter()
    pairs: Counter | None = Counter() if ngram == 2 else None
    for _facts, body in read_bodies(matches, reading):
        word_set.total += count_words(body, unigrams, pairs)
    if pairs is not None:
        word_set.counts = Counter({f"{x} {y}": n for (x, y), n in pairs.items()})
        word_set.total = sum(pairs.values())
    else:
        word_set.counts = unigrams
    return word_set


def compare(
    a_params: SearchParams,
    b_params: SearchParams,
    *,
    ngram: int = 1,
    alpha0: float = DEFAULT_ALPHA0,
    min_count: int = DEFAULT_MIN_COUNT,
) -> Comparison:
    if ngram not in (1, 2):
        raise ValueError("ngram must be 1 or 2")
    a, b = read_set("A", a_params, ngram), read_set("B", b_params, ngram)
    return Comparison(
        a, b, keywords(a.counts, a.total, b.counts, b.total, ngram, alpha0, min_count), ngram, alpha0, min_count
    )


def keywords(
    a_counts: Counter, n_a: int, b_counts: Counter, n_b: int, ngram: int, alpha0: float, min_count: int
) -> list[Keyword]:
    """Every word seen at least min_count times in both sets together, with its statistics."""
    if not n_a or not n_b:
        return []
    pooled_total = n_a + n_b
    out = []
    for term in a_counts.keys() | b_counts.keys():
        a, b = a_counts.get(term, 0), b_counts.get(term, 0)
        if a + b < min_count:
            continue
        alpha_w = alpha0 * (a + b) / pooled_total
        stop = is_stop_bigram(tuple(term.split(" ", 1))) if ngram == 2 else is_stop(term)
        counts = (a, n_a, b, n_b)
        z = stats.log_odds_z(*counts, alpha_w, alpha0)
        out.append(Keyword(term, a, b, stats.g2(*counts), stats.log_ratio(*counts), z, stop))
    return out
