"""The archive's query language as a Whoosh parser.

Beyond the stock parser: `OR`, `NOT`, `-word`, bounded `word~` fuzzy terms (articles/query_bounds.py),
wildcards that are never stemmed, and (spelling=variants) names that also match their other spellings
and aliases (articles/names/expansion.py).
"""

from __future__ import annotations

from whoosh.qparser import PlusMinusPlugin, QueryParser, WildcardPlugin, syntax

from articles import query_bounds
from articles.names.expansion import NameExpansionPlugin


class UnstemmedWildcardPlugin(WildcardPlugin):
    """Keep `word*` a wildcard: the stock plugin turns it into a prefix node whose text the analyzer
    stems ("Kulibay*" became "kulibai*" and found nothing). Whoosh still runs it as a Prefix query."""

    def do_wildcards(self, parser, group):
        i = 0
        while i < len(group):
            node = group[i]
            if isinstance(node, self.WildcardNode):
                if i < len(group) - 1 and group[i + 1].is_text():
                    node.text += group.pop(i + 1).text
                if i > 0 and group[i - 1].is_text():
                    node.text = group.pop(i - 1).text + node.text
                else:
                    i += 1
            else:
                if isinstance(node, syntax.GroupNode):
                    self.do_wildcards(parser, node)
                i += 1
        return group


def make_parser(content_field: str, schema, expand_names: bool = False) -> QueryParser:
    """All words must match by default; OR, NOT, -word, "phrase", word*, word~, field:value, (groups).

    With `expand_names`, words and phrases also match their other spellings and aliases
    (articles/names/expansion.py)."""
    parser = QueryParser(content_field, schema=schema)
    parser.remove_plugin_class(WildcardPlugin)
    parser.add_plugin(UnstemmedWildcardPlugin())
    parser.add_plugins([query_bounds.BoundedFuzzyTermPlugin(), PlusMinusPlugin()])
    if expand_names:
        parser.add_plugin(NameExpansionPlugin())
    return parser
