"""The sentences of an article that name an entity, escaped, with each name as written marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from articles.highlight import mark_spans
from articles.names.mentions import Matcher, article_text

# A sentence ends at . ! ? … (and any closing quotes or brackets) before a space and what can start one,
# or at a paragraph break; not after an initial ("N. Nazarbayev").
SENTENCE_END = re.compile(
    r"(?:(?<=[.!?…])|(?<=[.!?…][”’\"')\]]))(?<![\s(\-–—][A-ZА-ЯЁ]\.)\s+(?=[“‘\"'(\[]?[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])|\n\s*\n"
)
MAX_SENTENCE_CHARS = 400  # longer ones are cut around their first mark


@dataclass
class Sentence:
    html: SafeString
    start: int  # offset in article_text


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def sentences_naming(entity_id: int, article, matcher: Matcher, limit: int = 3) -> list[Sentence]:
    """Up to `limit` sentences naming the entity, in text order, with its names marked."""
    text = article_text(article)
    marks = [(m.start, m.end) for m in matcher.find(text) if m.entity_id == entity_id]
    out: list[Sentence] = []
    for s, e in sentence_spans(text):
        inside = [(a, b) for a, b in marks if s <= a and b <= e]
        if inside:
            out.append(Sentence(_render(text, s, e, inside), s))
            if len(out) == limit:
                break
    return out


def _render(text: str, start: int, end: int, marks: list[tuple[int, int]]) -> SafeString:
    prefix = suffix = ""
    if end - start > MAX_SENTENCE_CHARS:
        first = marks[0][0]
        new_start = max(start, first - MAX_SENTENCE_CHARS // 2)
        new_end = min(end, new_start + MAX_SENTENCE_CHARS)
        prefix, suffix = ("… " if new_start > start else ""), (" …" if new_end < end else "")
        start, end = new_start, new_end
    return mark_safe(" ".join((prefix + mark_spans(text, marks, start, end) + suffix).split()))
