"""Snippets and highlights: the text is escaped, only <mark> is ours.

Matching uses the index's own analyzer (lower-case, accent folding, stemming), so "protesting"
marks "protests" and "Akorda" marks "Akordá". Terms come from the parsed query, expanded against
the index for prefixes and fuzzy terms, without the ones under NOT.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe
from whoosh import query as wq

from articles.whoosh_backend import archive_analyzer

SNIPPET_WORDS = 40
# Snippets look for matches in the opening this long, and highlighting marks this much of a text:
# analysing megabytes of one paragraph per request would stall a worker for seconds.
SNIPPET_SCAN_CHARS = 50_000
HIGHLIGHT_CHARS = 200_000
_analyzer = archive_analyzer()


def query_terms(query: str) -> set[str]:
    """The analysed terms a query looks for in the text (expanded where the engine can tell)."""
    from haystack import connections

    backend = connections["default"].get_backend()
    if hasattr(backend, "highlight_terms"):
        try:
            return backend.highlight_terms(query)
        except Exception:  # highlighting is a convenience; never fail a search over it
            pass
    return {t.text for t in _analyzer(query, mode="query") if t.text.isalnum()}


def _tokens(text: str):
    return [(t.text, t.startchar, t.endchar) for t in _analyzer(text, chars=True, mode="index")]


def highlight(text: str, terms: set[str]) -> str:
    """The text, escaped, with every matching word marked (in its first HIGHLIGHT_CHARS characters)."""
    head, tail = text[:HIGHLIGHT_CHARS], text[HIGHLIGHT_CHARS:]
    return mark_safe(_render(head, _tokens(head), terms, 0, len(head)) + escape(tail))


def snippet(body: str, terms: set[str], words: int = SNIPPET_WORDS) -> str:
    """About `words` words around the densest run of matches (or the opening), escaped and marked.

    The window stays inside one block of the body (see `_snippet_block`)."""
    block, before, after = _snippet_block(body, terms)
    text = " ".join(block.split())
    truncated = len(body) > SNIPPET_SCAN_CHARS
    tokens = _tokens(text)
    if not tokens:
        return escape(text[:300])
    hits = [i for i, (t, _, _) in enumerate(tokens) if t in terms]
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
    out = _render(text, tokens, terms, start, end)
    if start > 0 or before:
        out = "… " + out
    if end < len(text) or after or truncated:
        out += " …"
    return mark_safe(out)


def _snippet_block(body: str, terms: set[str]) -> tuple[str, bool, bool]:
    """(block, blocks before it?, blocks after it?): the block of the body a snippet shows.

    Blocks are separated by a blank line. A snippet shows one, so it never runs a heading into the
    paragraph under it ("…counter-coup Before discussing…"): the block with the most matches, else the
    first with more words than a heading.
    """
    blocks = [b for b in body[:SNIPPET_SCAN_CHARS].split("\n\n") if b.strip()]
    if not blocks:
        return "", False, False
    counts = [sum(1 for t, _, _ in _tokens(b) if t in terms) for b in blocks] if terms else [0] * len(blocks)
    index = max(range(len(blocks)), key=lambda i: (counts[i], -i))
    if counts[index] == 0:
        index = next((i for i, b in enumerate(blocks) if len(b.split()) >= 12), 0)
    return blocks[index], index > 0, index < len(blocks) - 1


def _render(text: str, tokens, terms: set[str], start: int, end: int) -> str:
    parts, pos = [], start
    for term, s, e in tokens:
        if s < start or e > end or term not in terms:
            continue
        parts.append(escape(text[pos:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    parts.append(escape(text[pos:end]))
    return "".join(parts)


def positive_terms(q: wq.Query):
    """Leaf queries not under a NOT."""
    if isinstance(q, wq.Not):
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from positive_terms(child)
