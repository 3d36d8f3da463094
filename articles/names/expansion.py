"""Query expansion over spellings and aliases, done inside the query parser (no extra search pass).

A word or phrase of the content field becomes an OR of:
- the query as written (the `text` field: stems, accents folded), as before;
- its spelling keys in the `spelling` field (index_keys.py), when it is a name or Cyrillic: `Tokaev`
  also finds Tokayev, Tokaiev and Токаев; `Жанаозен` also finds Жанаозене (Russian stem);
- every name of the entity it is a name of (table.py), each a key or a phrase of keys in the
  `spelling` field: `ODKB` also finds CSTO, ОДКБ and "Collective Security Treaty Organization".

Ordinary English words (not name-like, not an alias) are left exactly as they were, so their
searches cost what they did. `prefix*`, `fuzzy~` and field searches (`title:`) are not expanded.
`spelling=exact` uses a parser without the plugin (articles/whoosh/parsing.py).
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.qparser import syntax
from whoosh.qparser.plugins import PhrasePlugin, Plugin

from articles.names.index_keys import CAPITALS_MARK, SPELLING_FIELD, WORD, word_keys
from articles.names.variants import has_cyrillic, is_variant_key

MODES = ("variants", "exact")
DEFAULT_MODE = "variants"


def extra_queries(words: list[str], slop: int = 1) -> list[wq.Query]:
    """What a word or phrase (its words as typed) also matches, beyond its text-field query."""
    if not words:
        return []
    from articles.names import table

    out: list[wq.Query] = []
    if len(words) == 1:
        word = words[0]
        keys = word_keys(word)
        if keys and (is_variant_key(keys[0]) or has_cyrillic(word)):
            out.extend(wq.Term(SPELLING_FIELD, k) for k in keys if not k.startswith(CAPITALS_MARK))
    else:
        keys = [word_keys(w) for w in words]
        if all(keys) and any(is_variant_key(k[0]) or has_cyrillic(w) for k, w in zip(keys, words, strict=True)):
            out.append(wq.Phrase(SPELLING_FIELD, [k[0] for k in keys], slop=slop))
    entity = table.current().lookup(words)
    if entity is not None:
        typed = tuple(word_keys(w)[0] if word_keys(w) else "" for w in words)
        for name in entity.names:
            if name.contains(typed):  # the query itself matches wherever this name does
                continue
            if len(name.keys) == 1:
                out.append(wq.Term(SPELLING_FIELD, name.keys[0]))
            else:
                out.append(wq.Phrase(SPELLING_FIELD, list(name.keys)))
    return list(dict.fromkeys(out))


def _expanded(node, parser, base):
    fieldname = node.fieldname or parser.fieldname
    if fieldname != parser.fieldname or SPELLING_FIELD not in (parser.schema or ()):
        return base
    extra = extra_queries(WORD.findall(node.text), getattr(node, "slop", 1))
    if not extra:
        return base
    parts = [base, *extra] if base is not None and base is not wq.NullQuery else extra
    return syntax.attach(wq.Or(parts, boost=node.boost), node)


class ExpandingWordNode(syntax.WordNode):
    def query(self, parser):
        return _expanded(self, parser, super().query(parser))


class ExpandingPhraseNode(PhrasePlugin.PhraseNode):
    def query(self, parser):
        return _expanded(self, parser, super().query(parser))


_SWAP = {syntax.WordNode: ExpandingWordNode, PhrasePlugin.PhraseNode: ExpandingPhraseNode}


class NameExpansionPlugin(Plugin):
    """Makes plain words and phrases expand (see the module docstring) after all other filters ran."""

    def filters(self, parser):
        return [(self.swap, 10_000)]

    def swap(self, parser, group):
        for node in group:
            cls = _SWAP.get(type(node))
            if cls is not None:
                node.__class__ = cls
            elif isinstance(node, syntax.GroupNode):
                self.swap(parser, node)
        return group
