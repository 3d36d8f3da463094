"""The entity table as the query parser sees it: which names a query word or phrase is, and all names
of that entity, as spelling-field keys.

Read from the database once per process and read again when its version changes (entity count and
latest edit, variant count and latest id: an admin edit of an entity or variant bumps the entity's
`updated_at`, mentions.entities_changed). So an alias added in the admin is searched for at the next
query, in every process, with no rebuild: aliases are expanded at query time over the `spelling`
field, which holds every word's key. The version is checked for every word and phrase a query parses
(a search parses it two or three times), so it is one plain SQL statement (about 0.02 ms).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

from articles.names.index_keys import WORD, capitals_key, word_keys
from articles.names.mentions import UPPER, _case_ok, _case_rule


@dataclass(frozen=True)
class Name:
    """One name of an entity as the spelling field is searched for it: a key per word."""

    text: str
    keys: tuple[str, ...]
    own: tuple[str, ...]  # each word's own key (keys differ for words in capitals)

    def contains(self, keys: tuple[str, ...]) -> bool:
        """Whether these word keys occur in this name, in order and together ("Tokayev" in
        "Kassym-Jomart Tokayev"): wherever the name matches, they match already."""
        n = len(keys)
        return any(self.own[i : i + n] == keys for i in range(len(self.own) - n + 1))


@dataclass
class EntityNames:
    name: str
    names: list[Name]


class Table:
    def __init__(self, rows: list[tuple[int, str, str]]):
        """rows: (entity id, canonical name, one of its names), canonical names included."""
        self.entities: dict[int, EntityNames] = {}
        # first-word key -> [(keys of the whole name, case rules, entity id)], longest names first
        self.by_keys: dict[tuple[str, ...], list[tuple[tuple[str, ...], int]]] = {}
        for entity_id, canonical, text in rows:
            words = WORD.findall(text)
            if not words:
                continue
            own = tuple(word_keys(w)[0] for w in words)
            cases = tuple(_case_rule(w, k) for w, k in zip(words, own, strict=True))
            # In the index, an alias written in capitals is looked up among words written in capitals.
            searched = tuple(capitals_key(w) if c == UPPER else k for w, k, c in zip(words, own, cases, strict=True))
            entry = self.entities.setdefault(entity_id, EntityNames(canonical, []))
            entry.names.append(Name(text, searched, own))
            self.by_keys.setdefault(own, []).append((cases, entity_id))

    def lookup(self, words: list[str]) -> EntityNames | None:
        """The entity whose name these words (as typed) are, by key and by the name's case rules."""
        keys = tuple(word_keys(w)[0] if word_keys(w) else "" for w in words)
        for cases, entity_id in self.by_keys.get(keys, ()):
            if all(_case_ok(c, w) for c, w in zip(cases, words, strict=True)):
                return self.entities[entity_id]
        return None


_lock = threading.Lock()
_current: tuple[tuple, Table] | None = None


def version() -> tuple:
    """(entity count, latest entity edit, variant count, latest variant id), in one statement.

    It runs for every word a search parses: Django's two aggregate queries (0.36 ms a call) made searches
    of English words at 10,000 articles about 15 % slower than spelling=exact (benchmarks/name_speed.py);
    this statement takes about 0.02 ms."""
    from django.db import connections, router

    from articles.names.models import Entity

    alias = router.db_for_read(Entity)
    with connections[alias].cursor() as cursor:
        cursor.execute(_version_sql(alias))
        return tuple(cursor.fetchone())


@functools.cache
def _version_sql(alias: str) -> str:
    from django.db import connections

    from articles.names.models import Entity, EntityVariant

    q = connections[alias].ops.quote_name
    entity, variant = q(Entity._meta.db_table), q(EntityVariant._meta.db_table)
    entity_id, variant_id = q(Entity._meta.pk.column), q(EntityVariant._meta.pk.column)
    updated = q(Entity._meta.get_field("updated_at").column)
    return (
        f"SELECT (SELECT COUNT({entity_id}) FROM {entity}), (SELECT MAX({updated}) FROM {entity}),"
        f" (SELECT COUNT({variant_id}) FROM {variant}), (SELECT MAX({variant_id}) FROM {variant})"
    )


def current() -> Table:
    """The table as the database holds it now (rebuilt only when its version changed)."""
    global _current
    now = version()
    found = _current
    if found is not None and found[0] == now:
        return found[1]
    with _lock:
        if _current is not None and _current[0] == now:
            return _current[1]
        table = Table(_rows())
        _current = (now, table)
        return table


def _rows() -> list[tuple[int, str, str]]:
    from articles.names.models import Entity, EntityVariant

    names = dict(Entity.objects.values_list("pk", "name"))
    rows = [(pk, name, name) for pk, name in sorted(names.items())]
    for entity_id, text in EntityVariant.objects.order_by("entity_id", "pk").values_list("entity_id", "text"):
        if entity_id in names:
            rows.append((entity_id, names[entity_id], text))
    return rows
