"""The article body as the page shows it: headings, lists and paragraphs, with references linked both ways.

`Article.body` stays plain text (blocks separated by a blank line, for search, counts and snippets);
`Article.block_kinds` says which blocks are headings or list items. Everything here is escaped first:
the only markup is ours (<mark> from highlighting, reference links), and a reference's address is
linked only when it is an http(s) URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.extraction.types import BULLET_ITEM, HEADING, NUMBERED_ITEM
from articles.highlight import NO_PLAN, QueryPlan, highlight

REFERENCE = re.compile(r"^\s*\[(\d{1,3})\]\s*(.*)$", re.S)
# "[12]" in escaped, possibly highlighted text ("[<mark>12</mark>]" when the query has "12").
MARKER = re.compile(r"\[((?:<mark>)?)(\d{1,3})((?:</mark>)?)\]")
URL = re.compile(r"https?://[^\s<>\"']+", re.I)
TRAILING = ".,;:!?)]}»”’"
LIST_TAGS = {BULLET_ITEM: "ul", NUMBERED_ITEM: "ol"}


@dataclass
class Block:
    kind: str  # "p", "h", or a list: "ul" / "ol" (its items in `items`)
    html: SafeString | str = ""
    items: list[SafeString] = field(default_factory=list)
    # 1-based place of the block (of each list item) among the body's paragraphs: the page's #p<n>
    # anchors, which concordance and timeline lines link to (articles/analysis/corpus.paragraph_at).
    number: int = 0
    item_numbers: list[int] = field(default_factory=list)

    @property
    def numbered_items(self) -> list[tuple[int, SafeString]]:
        return list(zip(self.item_numbers, self.items, strict=True))


@dataclass
class Reference:
    number: str  # "" when the text gives it no number
    html: SafeString  # its text, escaped, with its http(s) address linked
    citations: list[str] = field(default_factory=list)  # ids of the markers that cite it

    @property
    def anchor(self) -> str:
        return f"ref-{self.number}" if self.number else ""


def render_body(article, plan: QueryPlan = NO_PLAN) -> tuple[list[Block], list[Reference]]:
    """Blocks of the body (marking where `plan` matches) and the references, markers and references linked."""
    references = [_reference(r) for r in article.references or [] if isinstance(r, str)]
    by_number = {r.number: r for r in references if r.number}
    blocks: list[Block] = []
    for number, (kind, text) in enumerate(article.blocks, start=1):
        html = _link_markers(highlight(text, plan) if plan else escape(text), by_number)
        tag = LIST_TAGS.get(kind)
        if tag:
            if not blocks or blocks[-1].kind != tag:
                blocks.append(Block(tag, number=number))
            blocks[-1].items.append(html)
            blocks[-1].item_numbers.append(number)
        else:
            blocks.append(Block("h" if kind == HEADING else "p", html, number=number))
    return blocks, references


def _reference(text: str) -> Reference:
    m = REFERENCE.match(text)
    number, rest = (m.group(1), m.group(2)) if m else ("", text)
    return Reference(number, linkify(rest))


def linkify(text: str) -> SafeString:
    """The text escaped, its http(s) addresses as links that pass no ranking and no opener."""
    out, pos = [], 0
    for m in URL.finditer(text):
        url = m.group(0).rstrip(TRAILING)
        out.append(escape(text[pos : m.start()]))
        out.append(f'<a href="{escape(url)}" rel="nofollow noopener noreferrer">{escape(url)}</a>')
        pos = m.start() + len(url)
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))


def _link_markers(html: str, by_number: dict[str, Reference]) -> SafeString:
    """ "[n]" where the text lists reference n becomes a link to it; the reference links back."""

    def link(m: re.Match) -> str:
        ref = by_number.get(m.group(2))
        if ref is None:
            return m.group(0)
        anchor = f"cite-{ref.number}" + (f"-{len(ref.citations) + 1}" if ref.citations else "")
        ref.citations.append(anchor)
        text = f"[{m.group(1)}{m.group(2)}{m.group(3)}]"
        return f'<a class="cite" id="{anchor}" href="#{ref.anchor}" aria-label="Reference {ref.number}">{text}</a>'

    return mark_safe(MARKER.sub(link, str(html)))
