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

    The window stays inside one block of the body (blocks are separated by a blank line): a snippet
    never runs a heading into the paragraph under it ("…counter-coup Before discussing…").
    """
    truncated = len(body) > SNIPPET_SCAN_CHARS
    blocks = [text for text in (" ".join(b.split()) for b in body[:SNIPPET_SCAN_CHARS].split("\n\n")) if text]
    if not blocks:
        return ""
    width = max(1, words * 2 // 3)  # stop words are not tokens: ~2/3 of words survive analysis
    best = None  # (matches in the window, block index, its tokens, first token of the window)
    for index, text in enumerate(blocks):
        tokens = _tokens(text)
        hits = [i for i, (t, _, _) in enumerate(tokens) if t in terms]
        if not hits:
            continue
        # The window of `width` tokens holding the most matches (two pointers: linear in matches).
        start, count, k = hits[0], 0, 0
        for idx, i in enumerate(hits):
            while k < len(hits) and hits[k] < i + width:
                k += 1
            if k - idx > count:
                start, count = i, k - idx
        if best is None or count > best[0]:
            best = (count, index, tokens, max(0, start - width // 4))
    if best is None:  # no match: the opening, from the first block that is more than a heading
        index = next((i for i, text in enumerate(blocks) if len(text.split()) >= 12), 0)
        best = (0, index, _tokens(blocks[index]), 0)
    _, index, tokens, start_token = best
    text = blocks[index]
    if not tokens:
        return escape(text[:300])
    end_token = min(len(tokens), start_token + width) - 1
    start = 0 if start_token == 0 else tokens[start_token][1]
    end = len(text) if end_token == len(tokens) - 1 else tokens[end_token][2]
    out = _render(text, tokens, terms, start, end)
    if start > 0 or index > 0:
        out = "… " + out
    if end < len(text) or index < len(blocks) - 1 or truncated:
        out += " …"
    return mark_safe(out)


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
