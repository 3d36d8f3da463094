"""Where a query matches a text, and the text escaped with those places marked (snippets, article pages).

One function answers "where": `match_spans(text, plan)`. It analyses the text as the index does
(lower case, accent folding, English stems, stop words dropped), so it marks exactly what the search
matched: "protesting" marks "protests", "Akorda" marks "Akordá", a phrase marks its occurrences and
not its words elsewhere, and nothing under NOT is marked. Snippets, the article page and anything
built on the same question (a concordance) use it; a `QueryPlan` is made once per query
(`query_plan`), with prefix and fuzzy terms expanded against the index as the search expanded them.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe
from whoosh import query as wq

from articles import engine
from articles.whoosh.analysis import archive_analyzer
from articles.whoosh.parsing import make_parser

SNIPPET_WORDS = 40
# Snippets look for matches in the opening this long, and highlighting marks this much of a text:
# analysing megabytes of one paragraph per request would stall a worker for seconds.
SNIPPET_SCAN_CHARS = 50_000
HIGHLIGHT_CHARS = 200_000
# Snippets kept (text digest and plan -> snippet): the next page, another sort, a facet or a return to the
# results show many of the same articles for the same query, and each snippet costs about 0.4 ms to make.
SNIPPETS_KEPT = 2048
# The fields whose matches are marked in an article's text (its body and title are both in the text).
TEXT_FIELDS = frozenset({"text", "title"})
_analyzer = archive_analyzer()


@dataclass(frozen=True)
class QueryPlan:
    """What a query looks for in running text, as analysed index terms.

    `terms` match wherever they stand (plain words, and every index term a prefix or fuzzy term
    expanded to); each phrase is its words in order with Whoosh's slop (1 = adjacent) and matches only
    where they stand that close. Words under NOT are in neither.
    """

    terms: frozenset[str] = frozenset()
    phrases: tuple[tuple[tuple[str, ...], int], ...] = ()
    # What the query matched in the `spelling` field (other spellings, aliases): keys of words, and
    # phrases of keys (articles/names/index_keys.py).
    keys: frozenset[str] = frozenset()
    key_phrases: tuple[tuple[tuple[str, ...], int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases or self.keys or self.key_phrases)


NO_PLAN = QueryPlan()


def match_spans(text: str, plan: QueryPlan) -> list[tuple[int, int]]:
    """The (start, end) character offsets in `text` where the query matches, in order, not overlapping.

    `text[start:end]` is the matched passage: one span per occurrence of a term, one span from the
    first to the last word of each phrase occurrence. Spans that overlap (a term inside a phrase) are
    merged. Offsets refer to `text` as given, so callers can mark it, cut windows or build a
    concordance from them.

    The analyzer works word by word (word tokens; lower case, folding, stop words and stems depend on
    the word alone), so a word's term is looked up once per distinct spelling (`indexed_term`) and a text
    is fully analysed only when a phrase could match in it: a concordance over thousands of bodies costs
    about a tenth of analysing each one.
    """
    if not plan:
        return []
    if plan.keys or plan.key_phrases:
        return _merge(_text_spans(text, plan) + key_spans(text, plan))
    return _text_spans(text, plan)


def key_spans(text: str, plan: QueryPlan) -> list[tuple[int, int]]:
    """Where the query's spelling-field keys match in `text`: words, and phrases of adjacent words."""
    if not (plan.keys or plan.key_phrases):
        return []
    from articles.names.index_keys import text_keys, word_keys

    if not plan.key_phrases:  # as for terms: each distinct word looked up once, then found by a pattern
        hits = [f for f in set(_WORD.findall(text)) if plan.keys.intersection(word_keys(f))]
        return _find_words(text, hits)
    words = text_keys(text)
    found = [(s, e) for keys, s, e in words if plan.keys.intersection(keys)]
    return _merge(found + _phrase_spans(words, plan.key_phrases, operator.contains))


def _text_spans(text: str, plan: QueryPlan) -> list[tuple[int, int]]:
    if not (plan.terms or plan.phrases):
        return []
    forms = {form: indexed_term(form) for form in set(_WORD.findall(text))}
    present = set(forms.values())
    if plan.phrases and any(all(w in present for w in words) for words, _ in plan.phrases):
        return _spans(_analyse(text), plan)
    return _find_words(text, [f for f, term in forms.items() if term in plan.terms])


def _find_words(text: str, hits: list[str]) -> list[tuple[int, int]]:
    """Every occurrence of these words (as whole words) in `text`."""
    if not hits:
        return []
    where = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(hits, key=len, reverse=True))) + r")(?!\w)")
    return [m.span() for m in where.finditer(text)]


_WORD = re.compile(r"\w+")  # the index tokenizer's words (articles.whoosh.analysis.WildcardQueryTokenizer)


@functools.lru_cache(maxsize=200_000)
def indexed_term(word: str) -> str | None:
    """The term the index holds for one word as written (None for a stop word)."""
    return next((token.text for token in _analyzer(word, mode="index")), None)


def query_plan(query: str, spelling: str = "variants") -> QueryPlan:
    """The plan of a query in the archive's query language (empty for an empty or unreadable query).

    The Whoosh backend expands prefix and fuzzy terms against the index, sharing the search's own
    expansions. Other engines (Solr, Elasticsearch) get the same parse without expansion: words and
    phrases are marked, prefixes and fuzzy terms are not.
    """
    if not query.strip():
        return NO_PLAN
    backend = engine.get_backend()
    if not engine.provides("highlighting", backend):  # its matches are not the index's words: mark none
        return NO_PLAN
    try:
        if engine.plans_highlights(backend):
            return backend.highlight_plan(query, spelling)
        return plan_for(_local_parser().parse(query), TEXT_FIELDS, _unexpanded)
    except Exception:  # highlighting is a convenience; never fail a search over it
        return NO_PLAN


def plan_for(parsed: wq.Query, fields: Iterable[str], expand: Callable[[wq.Query], Iterable[str]]) -> QueryPlan:
    """The plan of a parsed Whoosh query: its phrases, and `expand(leaf)` for every other leaf of `fields`
    not under a NOT. `expand` returns the index terms a leaf matches (a prefix's words, a fuzzy term's
    neighbours)."""
    from articles.names.index_keys import SPELLING_FIELD

    fields = set(fields)
    terms: set[str] = set()
    phrases: list[tuple[tuple[str, ...], int]] = []
    keys: set[str] = set()
    key_phrases: list[tuple[tuple[str, ...], int]] = []
    for leaf in positive_leaves(parsed):
        if leaf.field() == SPELLING_FIELD:
            if isinstance(leaf, wq.Phrase):
                key_phrases.append((tuple(leaf.words), max(1, leaf.slop)))
            elif type(leaf) is wq.Term:
                keys.add(leaf.text)
            continue
        if leaf.field() not in fields:
            continue
        if isinstance(leaf, wq.Phrase):
            if leaf.words:
                phrases.append((tuple(leaf.words), max(1, leaf.slop)))
        else:
            terms.update(t.decode("utf-8") if isinstance(t, bytes) else t for t in expand(leaf))
    return QueryPlan(
        frozenset(terms), tuple(dict.fromkeys(phrases)), frozenset(keys), tuple(dict.fromkeys(key_phrases))
    )


def positive_leaves(q: wq.Query):
    """Leaf queries not under a NOT (`NOT x`, and the second half of `a -x`, Whoosh's AndNot)."""
    if q is None or isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from positive_leaves(child)


def _unexpanded(leaf: wq.Query) -> list[str]:
    return [leaf.text] if type(leaf) is wq.Term else []


def _local_parser():
    from whoosh.fields import TEXT, Schema

    fields = {name: TEXT(analyzer=_analyzer) for name in ("text", "title", "author", "outlet")}
    return make_parser("text", Schema(**fields))


def _analyse(text: str) -> list[tuple[str, int, int]]:
    """(term, start, end) of every token the index would keep, in order: consecutive tokens are
    consecutive index positions (stop words are dropped and the rest renumbered, as when indexing).

    Word by word through `indexed_term`'s cache: the same tokens as running the analyzer over the text
    (tests/test_highlight.py checks), since it splits words first and treats each alone, at a fraction
    of the cost for the snippets of every results page."""
    out = []
    for m in _WORD.finditer(text):
        term = indexed_term(m.group())
        if term is not None:
            out.append((term, m.start(), m.end()))
    return out


def _spans(tokens: list[tuple[str, int, int]], plan: QueryPlan) -> list[tuple[int, int]]:
    found = [(s, e) for term, s, e in tokens if term in plan.terms]
    return _merge(found + _phrase_spans(tokens, plan.phrases, operator.eq))


def _phrase_spans(
    tokens: list[tuple], phrases: Iterable[tuple[tuple[str, ...], int]], matches: Callable[[object, str], bool]
) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of each phrase in `tokens` ((what, start, end) in index order).
    `matches(what, word)` says whether a token stands for a word: `==` for index terms (`_analyse`), `in`
    for a word's set of spelling keys (`text_keys`)."""
    found = []
    for words, slop in phrases:
        first, rest = words[0], words[1:]
        for i, (what, start, _) in enumerate(tokens):
            if not matches(what, first):
                continue
            last = i
            for word in rest:  # each next word within `slop` positions after the previous one
                nxt = next(
                    (j for j in range(last + 1, min(last + slop, len(tokens) - 1) + 1) if matches(tokens[j][0], word)),
                    None,
                )
                if nxt is None:
                    break
                last = nxt
            else:
                found.append((start, tokens[last][2]))
    return found


def _merge(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in order, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, plan: QueryPlan) -> str:
    """The text, escaped, with every match marked (in its first HIGHLIGHT_CHARS characters)."""
    head, tail = text[:HIGHLIGHT_CHARS], text[HIGHLIGHT_CHARS:]
    return mark_safe(mark_spans(head, match_spans(head, plan), 0, len(head)) + escape(tail))


def snippet(body: str, plan: QueryPlan, words: int = SNIPPET_WORDS) -> str:
    """About `words` words around the densest run of matches (or the opening), escaped and marked.

    The window stays inside one block of the body (see `_snippet_block`). Kept by the digest of the text it
    reads, so an edited body is never shown an old snippet, and a kept one holds no copy of the body."""
    head = body[:SNIPPET_SCAN_CHARS].encode("utf-8", "surrogatepass")
    key = (hashlib.blake2b(head, digest_size=16).digest(), len(body), plan, words)
    with _snippets_lock:
        found = _snippets.get(key)
        if found is not None:
            _snippets.move_to_end(key)
            return found
    found = _make_snippet(body, plan, words)
    with _snippets_lock:
        _snippets[key] = found
        if len(_snippets) > SNIPPETS_KEPT:
            _snippets.popitem(last=False)
    return found


_snippets: OrderedDict[tuple, str] = OrderedDict()
_snippets_lock = threading.Lock()


def _make_snippet(body: str, plan: QueryPlan, words: int) -> str:
    block, before, after = _snippet_block(body, plan)
    text = " ".join(block.split())
    truncated = len(body) > SNIPPET_SCAN_CHARS
    tokens = _analyse(text)
    if not tokens:
        return escape(text[:300])
    spans = _spans(tokens, plan)
    if plan.keys or plan.key_phrases:
        spans = _merge(spans + key_spans(text, plan))
    token_at = {s: i for i, (_, s, _) in enumerate(tokens)}
    hits = [token_at[s] for s, _ in spans if s in token_at]  # a span starts at a token (not a stop word)
    width = max(1, words * 2 // 3)  # stop words are not tokens: ~2/3 of words survive analysis
    start_token = 0
    if hits:
        # The window of `width` tokens holding the most matches (two pointers: linear in matches).
        best, best_count, k = hits[0], 0, 0
        for idx, i in enumerate(hits):
            while k < len(hits) and hits[k] < i + width:
                k += 1
            if k - idx > best_count:
                best, best_count = i, k - idx
        start_token = max(0, best - width // 4)
    end_token = min(len(tokens), start_token + width) - 1
    start = 0 if start_token == 0 else tokens[start_token][1]
    end = len(text) if end_token == len(tokens) - 1 else tokens[end_token][2]
    # A phrase that begins in the window is shown whole.
    end = max([end, *(e for s, e in spans if start <= s < end)])
    out = mark_spans(text, spans, start, end)
    if start > 0 or before:
        out = "… " + out
    if end < len(text) or after or truncated:
        out += " …"
    return mark_safe(out)


def _snippet_block(body: str, plan: QueryPlan) -> tuple[str, bool, bool]:
    """(block, blocks before it?, blocks after it?): the block of the body a snippet shows.

    Blocks are separated by a blank line. A snippet shows one, so it never runs a heading into the
    paragraph under it ("…counter-coup Before discussing…"): the block with the most matches, else the
    first with more words than a heading.
    """
    blocks = [b for b in body[:SNIPPET_SCAN_CHARS].split("\n\n") if b.strip()]
    if not blocks:
        return "", False, False
    counts = [len(match_spans(b, plan)) for b in blocks] if plan else [0] * len(blocks)
    index = max(range(len(blocks)), key=lambda i: (counts[i], -i))
    if counts[index] == 0:
        index = next((i for i, b in enumerate(blocks) if len(b.split()) >= 12), 0)
    return blocks[index], index > 0, index < len(blocks) - 1


def mark_spans(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """text[start:end], escaped, with each span inside it in <mark> (names/sentences.py marks mentions so)."""
    parts, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        parts.append(escape(text[pos:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    parts.append(escape(text[pos:end]))
    return "".join(parts)
