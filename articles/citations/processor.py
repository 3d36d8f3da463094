"""Formatted references from CSL-JSON through citeproc-py, with the CSL rules citeproc-py 0.11 leaves out.

The styles (Chicago author-date 18th ed., APA 7th ed.) are the Citation Style Language project's own
files, shipped in `styles/` (CC BY-SA 3.0, see styles/README.md). citeproc-py renders them faithfully
except for five rules of the CSL 1.0.2 specification that it does not implement, each of which shows up
on this archive's articles; `install()` adds them to the processor itself (never by editing its output):

1. Punctuation at seams (spec "Punctuation"; CMOS 6.119): a period or comma after a title that ends in
   "?" or "!" is dropped, also across a closing quotation mark or a closing formatting tag, so "Does
   Russia have a chance?" is not followed by "?." or "?”.".
2. Substitution (spec "Substitute"): a variable used in place of a missing author is suppressed in the
   rest of the entry; an unsigned article's title is not printed twice.
3. Labels (spec "Label"): a label is rendered only when its variable is; no stray "Edition".
4. `initialize="false"` on cs:name (spec "Name"): given names stay whole where the style says so.
5. Text case (spec "Text-case"): "capitalize-first" and "title" capitalise the first letter of a word
   that opens with punctuation: "(Personal Blog)", not "(personal Blog)".

citeproc-py is pinned in requirements.txt; tests/test_citations.py fails if an upgrade changes any of this.
"""

from __future__ import annotations

import html
import re
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import citeproc.model as csl_model
import citeproc.string as csl_string
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc.source import Reference, VariableError
from citeproc.source.json import CiteProcJSON

STYLES_DIR = Path(__file__).resolve().parent / "styles"
STYLES = {  # key -> (label shown to readers, file in styles/)
    "chicago": ("Chicago author-date (18th ed.)", "chicago-author-date.csl"),
    "apa": ("APA (7th ed.)", "apa.csl"),
}

# --- 1. punctuation at seams --------------------------------------------------------------------------
_CLOSERS = re.compile(r"[\ue000-\ue00f”’\"'»]+$")  # closing quotes and markup (see SAFE_HTML), not brackets
_ABSORBS = {".": ".?!", ",": "?!"}  # a following "." disappears after . ? !, a following "," after ? !
_original_normalize_seam = csl_string.normalize_seam


def _normalize_seam(left, other):
    other = _original_normalize_seam(left, other)
    text = str(other)
    if not text or text[0] not in _ABSORBS:
        return other
    visible = _CLOSERS.sub("", str(left))
    if visible and visible[-1] in _ABSORBS[text[0]]:
        return csl_string._strip_first_char(other)
    return other


# punctuation-in-quote (a locale option; true for en-US): “Title.” rather than “Title”.
_PUNCTUATION_IN_QUOTE: ContextVar[bool] = ContextVar("punctuation_in_quote", default=False)
_QUOTE_AT_END = re.compile(r"([”’])([\ue000-\ue00f]*)$")
_original_mixed_add = csl_string.MixedString.__add__


def _mixed_add(self, other):
    head = str(other)[:1]
    if _PUNCTUATION_IN_QUOTE.get() and head in (".", ","):
        text = str(self)
        match = _QUOTE_AT_END.search(text)
        if match and text[: match.start()][-1:] not in (".", ",", "?", "!"):
            moved = text[: match.start()] + head + match.group(1) + match.group(2)
            self = csl_string.MixedString([csl_string.String(moved)])
            other = csl_string._strip_first_char(other)
    return _original_mixed_add(self, other)


# --- 2. substituted variables are suppressed in the rest of the entry ---------------------------------
_NOT_RENDERED = frozenset({"type", "language", "key"})  # read for decisions, never printed in author place


class _ReadTrackingReference(Reference):
    """A Reference that lists the variables whose values were read, and can hide some from then on.

    Hidden variables read as absent but still pass `variable="…"` tests, so a style keeps treating an
    unsigned newspaper article as a newspaper article after its outlet has moved into the author place.
    """

    def start_tracking(self):
        object.__setattr__(self, "_reads", set())

    def stop_tracking(self) -> set[str]:
        reads = self.__dict__.get("_reads") or set()
        object.__setattr__(self, "_reads", None)
        return reads

    def hide(self, keys) -> None:
        object.__setattr__(self, "_hidden", self.__dict__.get("_hidden", frozenset()) | set(keys))

    def _visible(self, key) -> bool:
        if key in self.__dict__.get("_hidden", ()):
            return False
        reads = self.__dict__.get("_reads")
        if reads is not None and key not in _NOT_RENDERED and dict.__contains__(self, key):
            reads.add(key)
        return True

    def __getitem__(self, key):
        if not self._visible(key):
            raise VariableError
        return super().__getitem__(key)

    def get(self, key, default=None):
        return dict.get(self, key, default) if self._visible(key) else default


_original_substitute_render = csl_model.Substitute.render


def _substitute_render(self, item, context=None, **kwargs):
    reference = item.reference
    if not isinstance(reference, _ReadTrackingReference):
        return _original_substitute_render(self, item, context=context, **kwargs)
    reference.start_tracking()
    try:
        text = _original_substitute_render(self, item, context=context, **kwargs)
    finally:
        used = reference.stop_tracking()
    if text:
        reference.hide(used)
    return text


# --- 3. a label needs its variable -----------------------------------------------------------------------
_original_label_process = csl_model.Label.process


def _label_process(self, item, variable=None, plural=None, context=None, **kwargs):
    name = variable or self.get("variable")
    if name and name != "locator":
        try:
            value = item.reference[name.replace("-", "_")]
        except VariableError:
            return None
        if value in (None, "", []):
            return None
    return _original_label_process(self, item, variable=variable, plural=plural, context=context, **kwargs)


# --- 4. initialize="false" ------------------------------------------------------------------------------
_original_name_get_option = csl_model.Name.get_option


def _name_get_option(self, name, context=None, sort_options=None):
    if name == "initialize-with" and self.get("initialize", "true").lower() == "false":
        return None
    return _original_name_get_option(self, name, context=context, sort_options=sort_options)


# --- 5. capitalise the first letter, not the first character ----------------------------------------------
def _capitalize_first(self):
    match = re.search(r"[^\W\d_]", str(self))
    if match is None:
        return self
    i = match.start()
    return self.__class__(self[:i] + self[i].upper() + self[i + 1 :])


# --- output: escape everything, then add the markup the style asked for ----------------------------------
def _marker(index: int) -> type:
    return type(
        f"Marked{index}",
        (str,),
        {"__new__": lambda cls, text: str.__new__(cls, f"{chr(0xE000 + 2 * index)}{text}{chr(0xE001 + 2 * index)}")},
    )


_MARKUP = [
    ("<i>", "</i>"),
    ("<b>", "</b>"),
    ("<sup>", "</sup>"),
    ("<sub>", "</sub>"),
    ('<span class="small-caps">', "</span>"),  # a class: the CSP allows no inline styles
]
SAFE_HTML = SimpleNamespace(  # a citeproc-py formatter: marks formatting with private-use characters
    preformat=lambda text: text,
    Italic=_marker(0),
    Oblique=_marker(0),
    Bold=_marker(1),
    Light=str,
    Underline=str,
    Superscript=_marker(2),
    Subscript=_marker(3),
    SmallCaps=_marker(4),
)
_PRIVATE_USE = re.compile(r"[\ue000-\ue00f]")


def _to_html(marked: str) -> str:
    out = html.escape(marked, quote=False)
    for index, (open_tag, close_tag) in enumerate(_MARKUP):
        out = out.replace(chr(0xE000 + 2 * index), open_tag).replace(chr(0xE001 + 2 * index), close_tag)
    return out


def _clean(value):
    """Strip the marker characters from input, so no value can forge markup."""
    if isinstance(value, str):
        return _PRIVATE_USE.sub("", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def install() -> None:
    """Idempotent: adds the rules above to citeproc-py (module-level hooks it calls itself)."""
    csl_string.normalize_seam = _normalize_seam
    csl_string.MixedString.__add__ = _mixed_add
    csl_model.normalize_seam = _normalize_seam
    csl_model.Substitute.render = _substitute_render
    csl_model.Label.process = _label_process
    csl_model.Name.get_option = _name_get_option
    csl_string.String.capitalize_first = _capitalize_first


@cache
def _style(key: str) -> CitationStylesStyle:
    return CitationStylesStyle(str(STYLES_DIR / STYLES[key][1]), validate=False)


def render_reference(csl_item: dict, style: str) -> str:
    """One bibliography entry as HTML: every character of the data escaped, only the style's markup added."""
    install()
    csl_item = _clean(csl_item)
    source = CiteProcJSON([csl_item])
    key = csl_item["id"].lower()
    reference = source[key]
    # This render's own copy, so substitution may drop keys (Reference maps attribute writes to keys).
    object.__setattr__(reference, "__class__", _ReadTrackingReference)
    csl_style = _style(style)
    bibliography = CitationStylesBibliography(csl_style, source, SAFE_HTML)
    bibliography.register(Citation([CitationItem(key)]))
    piq = csl_style.root.get_locale_option("punctuation-in-quote").lower() == "true"
    token = _PUNCTUATION_IN_QUOTE.set(piq)
    try:
        return _to_html(str(bibliography.bibliography()[0]))
    finally:
        _PUNCTUATION_IN_QUOTE.reset(token)
