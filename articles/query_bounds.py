"""What one search may cost, and what the reader is told when a query asks for more.

One fuzzy query (`e~9`) took 6-9.5 s and two clients looping on it stalled the site (issue 11): nothing
bounded a query's cost. The bounds, each answered with a notice rather than silently:

- the query text is cut at MAX_QUERY_LENGTH characters; groups nested deeper than MAX_GROUP_DEPTH are
  searched as plain words; a lone `*` (which matches every word) is left out;
- fuzzy terms allow at most MAX_FUZZY_DISTANCE edits and keep their first letter (`e~2` expands to
  words starting with "e", not to every word of one to three letters);
- the words that prefixes, wildcards, fuzzy terms and ranges expand to are counted against
  SEARCH_MAX_EXPANSIONS (a setting) for the whole query; past it, only the first words are searched;
- each search has SEARCH_TIME_BUDGET seconds (a setting) to collect its matches; then it answers
  with what it found, and the count is a lower bound ("at least N").

A search cut short by the last two is incomplete: pages and the API say so (`count_exact`), while
exports and the analysis tools, which promise every match, raise IncompleteSearch instead.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin

MAX_QUERY_LENGTH = 500
MAX_FUZZY_DISTANCE = 2
MAX_GROUP_DEPTH = 20
DEFAULT_MAX_EXPANSIONS = 1000
DEFAULT_TIME_BUDGET = 1.0  # seconds
# A spelling suggestion (asked only when nothing matched) looks at this many distinct words, each of at
# most this many letters: a longer query is not a misspelt one.
SUGGEST_MAX_WORDS = 8
SUGGEST_MAX_WORD_LENGTH = 30
# How many matches are collected between two looks at the clock (time.monotonic costs ~50 ns).
CLOCK_EVERY = 256


class BadParameter(ValueError):
    """A parameter or query the archive will not take as written; its message is shown as a 400."""


class IncompleteSearch(BadParameter):
    """A search that had to stop early (time budget, expansion limit), asked for by a caller that must
    see every match (an export, an analysis tool): partial data there would be a wrong answer."""


def max_expansions() -> int:
    return int(getattr(settings, "SEARCH_MAX_EXPANSIONS", DEFAULT_MAX_EXPANSIONS))


def time_budget() -> float:
    return float(getattr(settings, "SEARCH_TIME_BUDGET", DEFAULT_TIME_BUDGET))


@dataclass
class Bounds:
    """What the bounds did to one search: notices for the reader, and whether its count is exact."""

    notices: list[str] = field(default_factory=list)
    count_exact: bool = True

    def add(self, notice: str, *, exact: bool = True) -> None:
        if notice not in self.notices:
            self.notices.append(notice)
        self.count_exact = self.count_exact and exact

    def extend(self, other: Bounds | None) -> None:
        if other is not None:
            for notice in other.notices:
                self.add(notice, exact=other.count_exact)


# --- the query text ---------------------------------------------------------------------------------
PHRASE = re.compile(r'"[^"]*"?')
FUZZY = re.compile(r"(?<=[^\s~\"()])~(\d+)")
# A word made of wildcards only (`*`, `?*`), alone or as a field's value (`title:*`).
LONE_WILDCARD = re.compile(r"(?<!\S)(?:\w+:)?[*?]+(?!\S)")


def _outside_phrases(query: str, fn) -> str:
    """Apply fn to the parts of the query outside "phrases" (whose text is taken literally)."""
    parts, last = [], 0
    for m in PHRASE.finditer(query):
        parts += [fn(query[last : m.start()]), m.group(0)]
        last = m.end()
    parts.append(fn(query[last:]))
    return "".join(parts)


def group_depth(query: str) -> int:
    depth = deepest = 0
    for ch in PHRASE.sub(" ", query):
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth = max(0, depth - 1)
    return deepest


def plain_words(q: str) -> str:
    """The best-effort fallback for a query the parser cannot take: its words, each quoted."""
    return " ".join(f'"{w}"' for w in re.findall(r"\w+", q))


def bound_text(q: str, bounds: Bounds) -> str:
    """The query text within the bounds; what was changed goes to `bounds` as notices."""
    q = q.replace("\x00", " ").strip()
    if len(q) > MAX_QUERY_LENGTH:
        q = q[:MAX_QUERY_LENGTH].rstrip()
        bounds.add(
            f"Your query is longer than {MAX_QUERY_LENGTH} characters; only its first {MAX_QUERY_LENGTH} were searched."
        )
    if group_depth(q) > MAX_GROUP_DEPTH:
        bounds.add(f"Your query nests groups more than {MAX_GROUP_DEPTH} deep; its words were searched as plain words.")
        return plain_words(q)

    capped = []

    def cap_fuzzy(part: str) -> str:
        def repl(m):
            if int(m.group(1)) <= MAX_FUZZY_DISTANCE:
                return m.group(0)
            capped.append(m.group(1))
            return f"~{MAX_FUZZY_DISTANCE}"

        return FUZZY.sub(repl, part)

    q = _outside_phrases(q, cap_fuzzy)
    if capped:
        bounds.add(
            f"Fuzzy search allows at most {MAX_FUZZY_DISTANCE} letters to differ: "
            f"“~{capped[0][:12]}” was searched as “~{MAX_FUZZY_DISTANCE}”."
        )

    dropped = []

    def drop_lone_wildcards(part: str) -> str:
        def repl(m):
            dropped.append(m.group(0))
            return " "

        return LONE_WILDCARD.sub(repl, part)

    stripped = " ".join(_outside_phrases(q, drop_lone_wildcards).split())
    if dropped:
        what = f"“{dropped[0]}”"
        if stripped:
            bounds.add(f"{what} alone matches every word, so it was left out of the search.")
        else:
            bounds.add(f"{what} alone matches every word: showing all articles.")
        q = stripped
    return q


class FuzzyWord(wq.FuzzyTerm):
    """`word~N` compared with the words the articles are written with (the field's spelling list) as
    written (lowercased, accents folded, not stemmed) and, as Whoosh compared it, as its stem; searched as
    the stems of the words found.

    Whoosh's parser stemmed a fuzzy term and compared only that stem with the written words: `goverment~`
    became `gover~1`, which no written word is near ("government" is 5 letters away), so on the seeds it
    found nothing while `government` finds all five; and a written word it found was searched unstemmed,
    so it matched only where the word is its own stem. The stem is still compared, so no word it found
    is lost (`markte~` reaches "market" only through its stem "markt": a swap is two edits)."""

    def _btexts(self, ixreader):
        field = ixreader.schema[self.fieldname]
        near = set()
        for text in dict.fromkeys([self.text, *field.process_text(self.text, mode="query")]):
            near.update(ixreader.terms_within(self.fieldname, text, self.maxdist, prefix=self.prefixlength))
        stems = {stem for word in near for stem in field.process_text(word, mode="index")}
        return iter(sorted(stem for stem in stems if (self.fieldname, field.to_bytes(stem)) in ixreader))


class BoundedFuzzyTermPlugin(FuzzyTermPlugin):
    """`word~N` with N at most MAX_FUZZY_DISTANCE and the first letter kept (Whoosh's parser defaults to
    no common prefix, so `e~2` compared every word of the index). bound_text says so to the reader;
    this holds for any text that reaches the parser. The term is a FuzzyWord: compared unstemmed."""

    class FuzzyTermNode(FuzzyTermPlugin.FuzzyTermNode):
        qclass = FuzzyWord

        def query(self, parser):
            q = super().query(parser)
            if isinstance(q, FuzzyWord) and q.fieldname in (parser.schema or {}):
                written = [t.text for t in parser.schema[q.fieldname].analyzer(self.text, mode="query", no_morph=True)]
                if len(written) == 1:
                    q.text = written[0]
            return q

    def create(self, parser, match):
        node = super().create(parser, match)
        node.maxdist = min(node.maxdist, MAX_FUZZY_DISTANCE)
        node.prefixlength = max(node.prefixlength, 1)
        return node


# --- expansions ------------------------------------------------------------------------------------------
def _label(q: wq.MultiTerm, content_field: str) -> str:
    if isinstance(q, wq.FuzzyTerm):
        text = f"{q.text}~{q.maxdist}"
    elif isinstance(q, wq.Prefix):
        text = f"{q.text}*"
    elif isinstance(q, wq.TermRange):
        text = f"[{q.start or ''} TO {q.end or ''}]"
    else:
        text = str(getattr(q, "text", q))
    return text if q.fieldname == content_field else f"{q.fieldname}:{text}"


def pin_expansions(parsed: wq.Query, readers: list, content_field: str, bounds: Bounds, limit: int) -> wq.Query:
    """The query with each prefix, wildcard, fuzzy term and range replaced by the index words it expands
    to across all segments, at most `limit` words in all (the first ones in index order when a term
    expands to more, with a notice). Every segment then searches the same words, and the highlighter,
    given the same pinned query, marks exactly what was searched."""
    remaining = limit

    def pin(q):
        nonlocal remaining
        if isinstance(q, wq.MultiTerm):
            words: set = set()
            for reader in readers:
                words.update(islice(q._btexts(reader), remaining + 1))
            words = sorted(words)
            if len(words) > remaining and not remaining:
                # An earlier term used up the limit: say so once per term, briefly, not "the first 0".
                bounds.add(
                    f"“{_label(q, content_field)}” was not searched: earlier terms used all {limit:,} words "
                    "one search may look for.",
                    exact=False,
                )
                words = []
            elif len(words) > remaining:
                kept = words[:remaining]
                shown = kept[-1]
                shown = shown.decode("utf-8", "replace") if isinstance(shown, bytes) else str(shown)
                bounds.add(
                    f"“{_label(q, content_field)}” matches more words than one search may look for "
                    f"({limit:,} in all); only the first {len(kept):,} (up to “{shown}”) were searched, so the "
                    "results are incomplete. A longer prefix or fewer wildcards narrows it.",
                    exact=False,
                )
                words = kept
            remaining -= len(words)
            pinned = q.copy()
            pinned._btexts = lambda reader, words=tuple(words): iter(words)
            return pinned
        if q.is_leaf():
            return q
        return q.apply(pin)

    return pin(parsed)


# --- time ----------------------------------------------------------------------------------------------
class Deadline:
    """The moment a search stops collecting matches, and whether it did."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.reached = False

    def until(self, docs):
        """docs, until the deadline passes (the clock is read every CLOCK_EVERY documents)."""
        at, monotonic = self.at, time.monotonic
        for i, doc in enumerate(docs):
            if not i % CLOCK_EVERY and monotonic() > at:
                self.reached = True
                return
            yield doc

    def report(self, bounds: Bounds) -> None:
        if self.reached:
            bounds.add(
                f"This search took longer than its {self.seconds:g} s budget and stopped early: "
                "the results are the articles found by then, and the count is a lower bound.",
                exact=False,
            )
