"""A small Readability-style main-text finder, used when trafilatura cannot help.

Paragraph-like elements give points to their parent (and half to the
grandparent) for their length and commas; containers whose class/id reads like
chrome lose points, article-ish ones gain; the score is scaled by how little
of the container is link text. The best container's block elements, in
document order, are the paragraphs. Pure lxml, a few milliseconds a page.
"""

from __future__ import annotations

import re
from itertools import islice

from .html_text import clean_para, kind_line
from .types import BULLET_ITEM, HEADING, NUMBERED_ITEM, PARAGRAPH

_POSITIVE = re.compile(r"article|body|content|entry|main|post|story|text|blog|prose|column", re.I)
_NEGATIVE = re.compile(
    r"comment|footer|footnote|nav|sidebar|share|social|related|promo|sponsor|ad-|ads|advert|banner|menu|"
    r"masthead|widget|popup|modal|cookie|newsletter|subscribe|breadcrumb|pagination|meta|byline|caption",
    re.I,
)
_PARA_TAGS = ("p", "pre", "blockquote", "td")
_BLOCK_TAGS = {"p", "pre", "blockquote", "h2", "h3", "h4", "h5", "h6", "li", "dd", "dt", "figcaption", "td", "th"}
_HEADINGS = {"h2", "h3", "h4", "h5", "h6"}


def _kind(el) -> str:
    if el.tag in _HEADINGS:
        return HEADING
    if el.tag == "li":
        parent = el.getparent()
        return NUMBERED_ITEM if parent is not None and parent.tag == "ol" else BULLET_ITEM
    return PARAGRAPH


def _class_weight(el) -> int:
    s = (el.get("class") or "") + " " + (el.get("id") or "")
    if not s.strip():
        return 0
    w = 0
    if _NEGATIVE.search(s):
        w -= 25
    if _POSITIVE.search(s):
        w += 25
    return w


def _link_density(el, text_len: int) -> float:
    if not text_len:
        return 1.0
    links = sum(len(a.text_content()) for a in el.iter("a"))
    return min(1.0, links / text_len)


def scored_text(tree, limit_nodes: int = 5000) -> list[str]:
    """Paragraphs of the best-scoring container (headings and list items marked, see kind_line), or []
    when nothing reads like prose."""
    scores: dict = {}
    for el in islice(tree.iter(*_PARA_TAGS), limit_nodes):
        text = el.text_content()
        n = len(text.strip())
        if n < 25:
            continue
        points = 1 + text.count(",") + text.count("，") + min(n // 100, 3)
        parent = el.getparent()
        if parent is None:
            continue
        for node, share in ((parent, 1.0), (parent.getparent(), 0.5)):
            if node is None or not isinstance(node.tag, str):
                continue
            if node not in scores:
                scores[node] = _class_weight(node) + (5 if node.tag in ("article", "main", "div") else 0)
            scores[node] += points * share
    if not scores:
        return []
    best, best_score = None, float("-inf")
    for node, sc in scores.items():
        n = len(node.text_content())
        sc *= 1 - _link_density(node, n)
        if sc > best_score:
            best, best_score = node, sc
    if best is None or best_score <= 0:
        return []
    # Like Readability, siblings that score well or read like prose join in.
    parts = [best]
    parent = best.getparent()
    if parent is not None:
        parts = []
        for sib in parent:
            if not isinstance(sib.tag, str):
                continue
            if sib is best or scores.get(sib, 0) >= max(10.0, 0.2 * best_score):
                parts.append(sib)
            elif sib.tag == "p":
                text = sib.text_content()
                if len(text) > 80 and _link_density(sib, len(text)) < 0.25:
                    parts.append(sib)
    out: list[str] = []
    for part in parts:
        if part.tag in _BLOCK_TAGS:
            t = clean_para(part.text_content())
            if t:
                out.append(kind_line(_kind(part), t))
            continue
        for el in part.iter():
            if not isinstance(el.tag, str) or el.tag not in _BLOCK_TAGS:
                continue
            # skip blocks nested in a block already taken (li > p, blockquote > p)
            anc, nested = el.getparent(), False
            while anc is not None and anc is not part:
                if anc.tag in _BLOCK_TAGS:
                    nested = True
                    break
                anc = anc.getparent()
            if nested:
                continue
            t = clean_para(el.text_content())
            if t:
                out.append(kind_line(_kind(el), t))
    return out
