"""Main text of a page: trafilatura over a pre-cleaned tree, then line cleanup.

trafilatura runs over the lxml tree (it copies it) favouring precision. When
that kept little of the page's paragraph text, it runs again favouring recall,
and the precision output still wins unless it has under 60% of the recall
run's words (a sign it dropped real article parts).
Then chrome lines trafilatura lets through are removed: the title repeated
at the top, "Share this", "Related:", newsletter/comment boilerplate, ...
Everything dropped is reported in ``removed`` for auditing.
"""

from __future__ import annotations

import logging
import re
import secrets
from copy import deepcopy

from .dates import MONTH_NAMES, parse_date
from .html_score import scored_text
from .html_text import clean_para, fold, kind_line, split_kind
from .types import BULLET_ITEM, HEADING, NUMBERED_ITEM, PARAGRAPH

# Keep the precision run when it has at least this share of the recall run's words.
PRECISION_SHARE = 0.6

_NEVER_TEXT = {"script", "style", "svg", "template", "iframe", "object", "embed", "canvas", "link", "meta"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _inside_article(el) -> bool:
    p = el.getparent()
    while p is not None:
        if p.tag in ("article", "main"):
            return True
        p = p.getparent()
    return False


def _unread(el) -> bool:
    """What prune_hidden drops, one reason a line."""
    style = el.get("style")
    return (
        el.tag in _NEVER_TEXT  # metadata is read already; these only cost trafilatura time
        or (el.tag in ("nav", "footer") and not _inside_article(el))
        or el.get("hidden") is not None
        or bool(style and _HIDDEN_STYLE.search(style))
        or ((el.get("aria-hidden") or "").lower() == "true" and el.tag not in ("article", "main"))
    )


def prune_hidden(tree) -> None:
    """Drop what a reader never sees or never reads as the article.

    Hidden elements (``hidden``, display:none, visibility:hidden, aria-hidden
    except on article/main), script-like elements (metadata was read before),
    and site navigation/footers outside the article. <noscript> fallbacks are
    left to trafilatura.
    """
    skip = ("html", "body", "head")
    doomed = [el for el in tree.iter() if isinstance(el.tag, str) and el.tag not in skip and _unread(el)]
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        tail = el.tail
        if tail and tail.strip():
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


# Whole lines that are page furniture, not article text (any language we see often).
_CHROME = re.compile(
    r"^(?:advertisement|advertisements?|publicidad|publicité|anzeige|sponsored|"
    r"comments?|\d+\s+comments?|(?:\d+\s+)?reader comments?|leave a comment|post a comment|add a comment|"
    r"tags?|tags:.*|topics?:?|"
    r"share|share this(?: article| story| post)?:?|share on \w+|tweet|email|print|"
    r"you may also like:?(?:\.\.\.)?|you might also like:?|related:?|"
    r"related (?:articles|stories|posts|coverage|content):?|"
    r"more:|see more:.*|see also:?|read more:?|read more:.*|recommended(?: for you)?:?|most popular|most read|trending|"
    r"related:.*|\[related:.*\]|popular on .*|more from .*|don'?t miss|also read:.*|"
    r"sign up(?: for .*)?|subscribe(?: now| to .*)?|newsletter|thanks for signing up!?|"
    r"there was an error processing your subscription\.?|sorry!?|text size|"
    r"follow (?:us|\w+) on .*|like this story\? share it.*|tell us what you think.*|"
    r"click here to .*|photo:.*|image:.*|image caption.*|media caption.*|getty images|"
    r"\[/?(?:button|caption|gallery|embed|video|audio|playlist|contact-form|tweet|youtube|ad|vc_\w+|et_pb_\w+)\b"
    r"[^\]]*\].*|our standards:.*|(?:copyright\s*)?©.{0,60}|all rights reserved\.?|"
    r"this is a modal window\..*|(?:- )?(?:chapters|descriptions off, selected|subtitles off, selected|"
    r"captions settings, opens captions settings dialog|default, selected)|"
    r"powered by [\w .]+|skip to (?:main )?content|back to top|"
    r"tempo de leitura:.*|atenção: comentários .*|分享到|选择其他平台 >>|x)$",
    re.I,
)


_GALLERY = re.compile(r"^[-–•*]?\s*\d{1,3}\s*/\s*\d{1,3}\s+\S")
_DATE_WORDS = re.compile(
    r"\b(?:\d{1,4}(?:st|nd|rd|th)?|am|pm|a\.m|p\.m|utc|gmt|[ecmp][sd]t|cet|cest|bst|at|on|um|uhr|de|le|el|"
    r"updated|published|posted|last|modified|"
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    + MONTH_NAMES
    + r")\b",
    re.I,
)


def _is_dateline(line: str) -> bool:
    """A line that is only a date/time stamp ("08.04.2015 12:46", "Updated May 3, 2019 9:14 am")."""
    if not parse_date(line):
        return False
    rest = _DATE_WORDS.sub(" ", line)
    if not re.fullmatch(r"[\s,.:/\-–—()]*", rest):  # anything else: text, table cells, code
        return False
    return len(line.split()) <= 10


def _words(s: str) -> int:
    return len(split_kind(s)[1].split())


def _repeats_title(line: str, folded_title: str) -> bool:
    """The page's headline again (the whole of it, or a long enough part), folded as `fold` folds."""
    folded = fold(line) if folded_title and len(line) < 1000 else ""
    return bool(folded) and (folded == folded_title or (len(folded) > 15 and folded in folded_title))


def clean_lines(lines: list[str], title: str) -> tuple[list[str], list[str]]:
    """Drop chrome lines; returns (kept, removed). Kept lines keep their kind mark (see kind_line)."""
    kept: list[str] = []
    removed: list[str] = []
    ft = fold(title) if title else ""
    gallery = sum(1 for ln in lines if _GALLERY.match(split_kind(ln)[1]))
    for i, marked in enumerate(lines):
        kind, line = split_kind(marked)
        if line.startswith("|") or line.endswith("|"):  # table-row framing from trafilatura
            line = line.strip("| \t")
        if not line:
            continue
        if (
            (gallery >= 3 and _GALLERY.match(line))  # slideshow captions "- 3/50 ..."
            or (len(line) < 80 and _is_dateline(line))
            or (i < 3 and not kept and _repeats_title(line, ft))  # the headline repeated as the first line
            or (len(line) < 160 and _CHROME.match(line.lstrip("-–•* ").strip()))
        ):
            removed.append(line)
        else:
            kept.append(kind_line(kind, line))
    return kept, removed


# What trafilatura is asked for: the text, tables included; metadata is read by html_meta.py.
TRAFILATURA_OPTIONS = dict(
    with_metadata=False, include_comments=False, include_tables=True, include_images=False, include_links=False
)


def _run(tree, **kw) -> list[str]:
    import trafilatura

    doc = trafilatura.bare_extraction(tree, **TRAFILATURA_OPTIONS, **kw)
    if doc is None:
        return []
    if getattr(doc, "body", None) is None:
        text = getattr(doc, "text", "") or ""
        return [p for p in (clean_para(x) for x in text.split("\n")) if p]
    return _kinded_lines(doc.body)


def _kinded_lines(body) -> list[str]:
    """trafilatura's plain text of its result tree, with headings and list items marked (kind_line).

    trafilatura's text output says neither: its tree does (<head>, <list rend="ol"><item>). Each such
    element gets a one-off token at the start of its text before the tree is turned into text the usual
    way, so the lines are exactly trafilatura's, and the token says which were headings and items.
    """
    from trafilatura.xml import xmltotxt

    body = deepcopy(body)
    token = f"kz{secrets.token_hex(8)}"
    for el in body.iter("head", "item"):
        if el.tag == "head":
            kind = HEADING
        else:
            parent = el.getparent()
            kind = NUMBERED_ITEM if parent is not None and parent.get("rend") == "ol" else BULLET_ITEM
        el.text = f"{token}{kind}{token} {el.text or ''}"
    marked = re.compile(rf"^\s*(?:- )?{token}(\w+){token}\s*")
    lines = []
    for raw in xmltotxt(body, include_formatting=False).split("\n"):
        m = marked.match(raw)
        kind, text = (m.group(1), raw[m.end() :]) if m else (PARAGRAPH, raw)
        text = clean_para(re.sub(rf"{token}\w+{token}\s*", "", text))
        if text:
            lines.append(kind_line(kind, text))
    return lines


def main_text(tree, title: str = "") -> tuple[list[str], list[str], list[str]]:
    """(paragraphs, their kinds, removed) for a parsed page. The tree may be modified."""
    prune_hidden(tree)
    p_words = sum(len(t.split()) for t in tree.xpath("//p//text()"))
    try:
        lines = _trafilatura_text(tree, p_words)
    except Exception as exc:  # not installed / broken on this page: our own scorer
        _warn_once(exc)
        lines = []
    n = sum(_words(x) for x in lines)
    if n < 0.3 * p_words:
        # trafilatura kept little of the page's prose: a second opinion
        scored = scored_text(tree)
        if sum(_words(x) for x in scored) > 2 * n:
            lines = scored
    kept, removed = clean_lines(_restore_repeats(tree, lines), title)
    blocks = [split_kind(line) for line in kept]
    return [text for _, text in blocks], [kind for kind, _ in blocks], removed


def _trafilatura_text(tree, p_words: int) -> list[str]:
    prec = _run(tree, favor_precision=True)
    nprec = sum(_words(x) for x in prec)
    # The recall run is only needed when the precision run kept little of the
    # page's paragraph text (a cheap stand-in for the recall run's size; on the
    # benchmarks this skips ~90% of second runs with identical results).
    if nprec == 0 or nprec < PRECISION_SHARE * p_words:
        rec = _run(tree, favor_recall=True)
        nrec = sum(_words(x) for x in rec)
        if nprec < PRECISION_SHARE * nrec:
            prec = rec
    return prec


_warned = False


def _warn_once(exc: Exception) -> None:
    global _warned
    if isinstance(exc, ImportError) and not _warned:
        _warned = True
        logging.getLogger(__name__).warning(
            "trafilatura unavailable (%s); using the built-in scorer, expect more page chrome in bodies", exc
        )


def _restore_repeats(tree, lines: list[str]) -> list[str]:
    """Put back paragraphs the page really repeats back to back.

    trafilatura drops a paragraph identical to the previous one (it guards
    against its own overlapping candidates); when the page itself has the
    same <p> text in consecutive sibling paragraphs, the text says it twice.
    """
    runs: dict[str, int] = {}
    for p in tree.iter("p"):
        nxt = p.getnext()
        if nxt is None or nxt.tag != "p":
            continue
        a = clean_para(p.text_content())
        if len(a) < 40 or a != clean_para(nxt.text_content()):
            continue
        n, cur = 2, nxt.getnext()
        while cur is not None and cur.tag == "p" and clean_para(cur.text_content()) == a:
            n, cur = n + 1, cur.getnext()
        runs[a] = max(runs.get(a, 0), n)
        if len(runs) > 200:
            break
    if not runs:
        return lines
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        want = runs.get(line, 0)
        if want and (i + 1 >= len(lines) or lines[i + 1] != line):
            have = 1
            while have < len(out) and out[-1 - have] == line:
                have += 1
            out.extend([line] * max(0, want - have))
    return out
