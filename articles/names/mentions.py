"""Which entities an article mentions, how often and in which spellings; kept in step with both sides.

Matching: an article's title and body are split into `\\w+` tokens, each compared by its spelling key
(articles/names/variants.py), so "Tokaev", "Tokayev" and "Токаев" all match the entity whose name or
variant is any one of them. Multiword names match as phrases ("Collective Security Treaty
Organization", "Kassym-Jomart Tokayev"), the longest name first and without overlaps: "Nazarbayev
Avenue" is the street, not also the man. Case matters only where it tells names from words: a variant
written in capitals (CSTO, US) matches only capitals, and a capitalised ordinary English word in a
variant ("Security Council", "Turkey") matches only a capitalised word; names match in any case.

When mentions are recomputed:
- An article's title or body is saved (ingest, admin): its mentions are recomputed in the same
  transaction, so an article is never visible with another text's mentions.
- An entity or one of its variants is added, edited or deleted: the entity is marked stale in that
  transaction, and after the commit (one job per transaction) the articles that could be affected are
  found and recomputed, and the mark is cleared. Those are the articles that mentioned it before plus
  those whose text contains one of its names now; finding the latter scans the article texts (phase 2
  asks the search index instead). A job that dies leaves the mark, which the pages show and
  `manage.py recompute_mentions` clears.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from articles.indexing.entries import reindex_articles
from articles.models import Article
from articles.names.models import ArticleMention, Entity, EntityVariant
from articles.names.variants import TOKEN, is_variant_key, spelling_key

log = logging.getLogger(__name__)

# What may stand between two words of one name in a text: spaces, hyphens and dashes, an apostrophe,
# the full stop of an initial ("N. Nazarbayev"). Not a comma, a bracket or a line of other text.
JOINER = re.compile(r"[\s\-\u2010-\u2015'’.]{1,3}")
SCAN_CHUNK = 200

ANY, CAPITAL, UPPER = "any", "capital", "upper"


@dataclass(frozen=True, slots=True)
class Token:
    key: str
    start: int
    end: int
    text: str


def tokens(text: str) -> list[Token]:
    return [Token(spelling_key(m.group()), m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]


def _case_rule(word: str, key: str) -> str:
    if len(word) >= 2 and word.isupper():
        return UPPER
    if word[:1].isupper() and not is_variant_key(key):
        return CAPITAL
    return ANY


def _case_ok(rule: str, word: str) -> bool:
    return rule == ANY or (word.isupper() if rule == UPPER else word[:1].isupper())


@dataclass(frozen=True)
class Pattern:
    entity_id: int
    keys: tuple[str, ...]
    cases: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    entity_id: int
    start: int
    end: int
    form: str  # the name as the text writes it, whitespace collapsed


@dataclass
class Found:
    count: int = 0
    forms: Counter = field(default_factory=Counter)


class Matcher:
    """Every name of every entity, indexed by its first key; finds the longest non-overlapping matches."""

    def __init__(self, names: Iterable[tuple[int, str]]):
        by_first: dict[str, list[Pattern]] = defaultdict(list)
        seen: dict[tuple, int] = {}
        for entity_id, name in names:
            words = TOKEN.findall(name)
            if not words:
                continue
            keys = tuple(spelling_key(w) for w in words)
            cases = tuple(_case_rule(w, k) for w, k in zip(words, keys, strict=True))
            if seen.setdefault((keys, cases), entity_id) != entity_id:
                log.warning(
                    "name %r is shared by entities %s and %s; the first keeps it", name, seen[keys, cases], entity_id
                )
                continue
            by_first[keys[0]].append(Pattern(entity_id, keys, cases))
        for patterns in by_first.values():
            patterns.sort(key=lambda p: -len(p.keys))
        self.by_first = dict(by_first)

    @property
    def first_keys(self) -> set[str]:
        return set(self.by_first)

    def find(self, text: str) -> list[Match]:
        if not self.by_first:
            return []
        toks = tokens(text)
        out: list[Match] = []
        i, n = 0, len(toks)
        while i < n:
            matched = self._match_at(text, toks, i)
            if matched is None:
                i += 1
                continue
            pattern, length = matched
            first, last = toks[i], toks[i + length - 1]
            out.append(Match(pattern.entity_id, first.start, last.end, " ".join(text[first.start : last.end].split())))
            i += length
        return out

    def _match_at(self, text: str, toks: list[Token], i: int):
        for p in self.by_first.get(toks[i].key, ()):
            length = len(p.keys)
            if i + length > len(toks):
                continue
            for j in range(length):
                tok = toks[i + j]
                if tok.key != p.keys[j] or not _case_ok(p.cases[j], tok.text):
                    break
                if j and not JOINER.fullmatch(text, toks[i + j - 1].end, tok.start):
                    break
            else:
                return p, length
        return None

    def count(self, text: str) -> dict[int, Found]:
        found: dict[int, Found] = defaultdict(Found)
        for m in self.find(text):
            f = found[m.entity_id]
            f.count += 1
            f.forms[m.form] += 1
        return dict(found)

    def could_mention(self, text: str, keys: set[str]) -> bool:
        """Whether the text holds any of these first keys (a cheap test before `count`)."""
        return any(spelling_key(word) in keys for word in set(TOKEN.findall(text)))


def article_text(article) -> str:
    """What mentions are counted in: the title, then the body (offsets in `find` refer to this)."""
    return f"{article.title}\n\n{article.body}"


def build_matcher(entity_ids: Iterable[int] | None = None) -> Matcher:
    """A matcher over the entity table (or some of it), read now."""

    entities = Entity.objects.all() if entity_ids is None else Entity.objects.filter(pk__in=list(entity_ids))
    names = list(entities.order_by("pk").values_list("pk", "name"))
    variants = EntityVariant.objects.filter(entity__in=entities).order_by("entity_id", "pk")
    names += list(variants.values_list("entity_id", "text"))
    names.sort()
    if entity_ids is not None:
        return Matcher(names)
    # The whole table's matcher is built on every article save (on_article_saved): reading the names is
    # two queries, building the matcher from them ~10 ms of CPU; reuse the last one while the names it
    # was built from are the same (a Matcher is never changed after it is built).
    global _whole_table_matcher
    cached = _whole_table_matcher
    if cached is not None and cached[0] == names:
        return cached[1]
    matcher = Matcher(names)
    _whole_table_matcher = (names, matcher)
    return matcher


_whole_table_matcher: tuple[list, Matcher] | None = None  # (the names it was built from, the matcher)


def names_fingerprint(entity_ids: Iterable[int]) -> str:
    ids = sorted(set(entity_ids))
    rows = list(Entity.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "name"))
    rows += list(EntityVariant.objects.filter(entity_id__in=ids).order_by("pk").values_list("entity_id", "text"))
    return hashlib.sha256(repr(rows).encode()).hexdigest()


# --- storing -------------------------------------------------------------------------------------------


def refresh_articles(article_ids: Iterable[int], matcher: Matcher | None = None) -> int:
    """Recompute the mentions of these articles against the whole entity table; returns rows written.

    Locks the articles' rows first (PostgreSQL), so two jobs refreshing one article take turns, and
    the second reads the entity table as the first left it.
    """
    ids = sorted(set(article_ids))
    if not ids:
        return 0
    with transaction.atomic():
        articles = list(Article.objects.select_for_update().filter(pk__in=ids).order_by("pk").only("title", "body"))
        matcher = matcher or build_matcher()
        ArticleMention.objects.filter(article_id__in=ids).delete()
        rows = [
            ArticleMention(article=article, entity_id=entity_id, count=found.count, forms=dict(found.forms))
            for article in articles
            for entity_id, found in matcher.count(article_text(article)).items()
        ]
        ArticleMention.objects.bulk_create(rows)
    return len(rows)


def articles_naming(entity_ids: Iterable[int]) -> set[int]:
    """Articles whose text contains a name of these entities, by scanning every article's text.

    Phase 2 answers this from the search index's spelling field instead of reading every text.
    """

    keys = build_matcher(entity_ids).first_keys
    if not keys:
        return set()
    matcher = Matcher(())
    articles = Article.objects.only("title", "body").order_by("pk").iterator(chunk_size=SCAN_CHUNK)
    return {article.pk for article in articles if matcher.could_mention(article_text(article), keys)}


def refresh_entities(entity_ids: Iterable[int], also_articles: Iterable[int] = ()) -> int:
    """Recompute mentions wherever these entities' names (old or new) occur, then clear their stale mark.

    `also_articles`: articles to recompute whatever they contain (those that mentioned an entity since
    deleted). Returns the number of articles recomputed.
    """

    ids = sorted(set(entity_ids))
    before = names_fingerprint(ids)
    candidates = articles_naming(ids) | set(also_articles)  # read-only scan, outside any transaction
    with transaction.atomic():
        locked = list(Entity.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        candidates |= set(ArticleMention.objects.filter(entity_id__in=ids).values_list("article_id", flat=True))
        refresh_articles(candidates)
        if names_fingerprint(ids) == before:  # else a later change is still to be recomputed: leave the mark
            Entity.objects.filter(pk__in=locked).update(mentions_stale=False)
    reindex_articles(candidates)  # the index's `mention` facet, in step with the recomputed mentions
    return len(candidates)


def refresh_all() -> int:
    """Every article against the whole table (after a restore, a scheme change, or a job that died).

    The index's `mention` facet is not updated here (a restore rebuilds the index after its commit);
    `recompute_mentions --all` reindexes afterwards."""
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        stale = list(Entity.objects.select_for_update().filter(mentions_stale=True).values_list("pk", flat=True))
        matcher = build_matcher()
        for start in range(0, len(ids), SCAN_CHUNK):
            refresh_articles(ids[start : start + SCAN_CHUNK], matcher)
        Entity.objects.filter(pk__in=stale).update(mentions_stale=False)
    return len(ids)


# --- keeping in step -----------------------------------------------------------------------------------


class PendingEntityRefresh:
    """One on-commit job per transaction, collecting the entities (and articles) changed in it."""

    def __init__(self):
        self.entity_ids: set[int] = set()
        self.article_ids: set[int] = set()
        self.done = False

    def __call__(self):
        self.done = True
        existing = set(Entity.objects.filter(pk__in=self.entity_ids).values_list("pk", flat=True))
        if existing or self.article_ids:
            refresh_entities(existing, also_articles=self.article_ids)


def entities_changed(entity_ids: Iterable[int], article_ids: Iterable[int] = ()) -> None:
    """Mark these entities stale now and recompute their mentions after the commit."""
    from django.utils import timezone

    entity_ids, article_ids = set(entity_ids), set(article_ids)
    Entity.objects.filter(pk__in=entity_ids, mentions_stale=False).update(mentions_stale=True)
    # A variant's edit is the entity's edit: the query side (table.py) reads the table again on it.
    Entity.objects.filter(pk__in=entity_ids).update(updated_at=timezone.now())
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        job = PendingEntityRefresh()
        job.entity_ids, job.article_ids = entity_ids, article_ids
        job()
        return
    pending = next(
        (f for _, f, _ in connection.run_on_commit if isinstance(f, PendingEntityRefresh) and not f.done), None
    )
    if pending is None:
        pending = PendingEntityRefresh()
        transaction.on_commit(pending)
    pending.entity_ids |= entity_ids
    pending.article_ids |= article_ids
