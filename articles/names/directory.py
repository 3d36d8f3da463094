"""What the entity pages (and their JSON) show: entities by number of articles, and one entity's report.

Plain functions over the database, no HTTP: the views in articles/names/views.py only render them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Sum

from articles.models import Article
from articles.names.mentions import build_matcher
from articles.names.models import ArticleMention, Entity
from articles.names.sentences import Sentence, sentences_naming

ARTICLES_PER_PAGE = 20
SENTENCES_PER_ARTICLE = 3


def entity_list(kind: str = ""):
    """Every entity with `n_articles` and `n_mentions`, most articles first (unmentioned ones last)."""
    qs = Entity.objects.with_counts().order_by("-n_articles", "-n_mentions", "name")
    return qs.filter(kind=kind) if kind else qs


@dataclass
class Breakdown:
    """Articles and mentions per value of one article field (outlet, stance); None is 'unknown'."""

    label: str | None
    articles: int
    mentions: int


@dataclass
class ArticleRow:
    article: Article
    count: int
    forms: dict[str, int]
    sentences: list[Sentence] = field(default_factory=list)


@dataclass
class EntityReport:
    entity: Entity
    n_articles: int
    n_mentions: int
    spellings: list[tuple[str, int]]  # every form found in the archive, most frequent first
    by_outlet: list[Breakdown]
    by_stance: list[Breakdown]
    page: Page
    rows: list[ArticleRow]


def _breakdown(mentions, field_name: str) -> list[Breakdown]:
    rows = (
        mentions.values(label=F(field_name))
        .annotate(articles=Count("article", distinct=True), mentions=Sum("count"))
        .order_by("-articles", "-mentions", "label")
    )
    return [Breakdown(r["label"], r["articles"], r["mentions"]) for r in rows]


def entity_report(entity: Entity, page_number: int = 1, *, with_sentences: bool = True) -> EntityReport:
    """Raises django.core.paginator.InvalidPage for a page past the end."""
    mentions = ArticleMention.objects.filter(entity=entity)
    totals = mentions.aggregate(n_articles=Count("article", distinct=True), n_mentions=Sum("count", default=0))
    spellings: Counter = Counter()
    for forms in mentions.values_list("forms", flat=True):
        spellings.update(forms)
    ordered = (
        mentions.select_related("article__source", "article__stance")
        .defer("article__raw_bytes", "article__raw_text")
        .order_by("-count", F("article__published_date").desc(nulls_last=True), "article__title")
    )
    page = Paginator(ordered, ARTICLES_PER_PAGE, allow_empty_first_page=True).page(page_number)
    matcher = build_matcher() if with_sentences and page.object_list else None
    rows = []
    for mention in page.object_list:
        row = ArticleRow(mention.article, mention.count, dict(Counter(mention.forms).most_common()))
        if matcher is not None:
            row.sentences = sentences_naming(entity.pk, mention.article, matcher, SENTENCES_PER_ARTICLE)
        rows.append(row)
    return EntityReport(
        entity=entity,
        **totals,  # n_articles, n_mentions
        spellings=spellings.most_common(),
        by_outlet=_breakdown(mentions, "article__source__name"),
        by_stance=_breakdown(mentions, "article__stance__name"),
        page=page,
        rows=rows,
    )


def article_mentions(article: Article) -> list[ArticleMention]:
    """The entities an article names, most often first (for its metadata panel)."""
    return list(article.mentions.select_related("entity").order_by("-count", "entity__name"))
