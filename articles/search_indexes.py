"""What the search engine knows about an article: full text plus exact fields for facets and filters."""

from haystack import indexes

from articles.models import UNKNOWN_VALUE, Article


class ArticleIndex(indexes.SearchIndex, indexes.Indexable):
    # Full text: title, authors, outlet, body (templates/search/indexes/articles/article_text.txt).
    text = indexes.CharField(document=True, use_template=True)
    title = indexes.CharField(model_attr="title", boost=2.0)
    # Searchable by field (author:, outlet:) and, through faceted=True, an exact `*_exact` companion
    # that holds the real names for facets and filters.
    author = indexes.MultiValueField(faceted=True, model_attr="author_names")
    outlet = indexes.CharField(faceted=True, null=True)
    stance = indexes.CharField(faceted=True, null=True)
    year = indexes.CharField(faceted=True, null=True)
    tag = indexes.MultiValueField(faceted=True, model_attr="tag_names")
    # The canonical names of the entities the article mentions (articles/names/mentions.py), for the
    # `mention` facet and filter; kept in step when mentions are recomputed.
    mention = indexes.MultiValueField(faceted=True)
    # The text again, analysed into spelling keys (articles/names/index_keys.py): variant spellings,
    # Cyrillic and Latin, Russian stems and aliases match through it. Filled in `prepare` from `text`.
    spelling = indexes.CharField(stored=False)
    # The span the date is known to: 2022-01 is 2022-01-01..2022-01-31; a range filter needs the whole span.
    published = indexes.DateField(null=True, model_attr="published_date")
    published_end = indexes.DateField(null=True)
    # Sort keys (yyyymmdd) that put undated articles last whichever way the list is sorted.
    date_asc = indexes.IntegerField(indexed=False)
    date_desc = indexes.IntegerField(indexed=False)
    date_precision = indexes.CharField(model_attr="date_precision", indexed=False)
    # Tie-break for date sorts: same-date articles in title order, whatever order they were indexed in.
    title_sort = indexes.FacetCharField()
    # SHA-256 of every value above (the full text included), so `check_index` sees body-only edits too.
    content_hash = indexes.CharField(indexed=False)

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        # Without the original file (bytes and decoded text): a rebuild batch of saved web pages would
        # otherwise hold hundreds of MB that the index never reads.
        from django.db.models import Prefetch

        from articles.names.models import ArticleMention

        mentions = Prefetch("mentions", queryset=ArticleMention.objects.select_related("entity"))
        return Article.objects.for_listing().defer("raw_bytes", "raw_text").prefetch_related(mentions)

    def prepare_outlet(self, obj):
        return obj.source.name if obj.source_id else None

    def prepare_stance(self, obj):
        return obj.stance.name if obj.stance_id else None

    def prepare_year(self, obj):
        return str(obj.year) if obj.year else None

    def prepare_mention(self, obj):
        return sorted({m.entity.name for m in obj.mentions.all()})

    def prepare_spelling(self, obj):
        return ""

    # The exact (facet and filter) companions hold UNKNOWN_VALUE where nothing is known, so "no outlet",
    # "no author", "not coded" and "undated" are values researchers can count and filter like any other.
    # The searchable fields above stay empty for them: `outlet:unknown` is not a query for missing outlets.
    def prepare_outlet_exact(self, obj):
        return self.prepare_outlet(obj) or UNKNOWN_VALUE

    def prepare_author_exact(self, obj):
        return obj.author_names or [UNKNOWN_VALUE]

    def prepare_stance_exact(self, obj):
        return self.prepare_stance(obj) or UNKNOWN_VALUE

    def prepare_year_exact(self, obj):
        return self.prepare_year(obj) or UNKNOWN_VALUE

    def prepare_published_end(self, obj):
        return obj.partial_date.end_date()

    def prepare_date_asc(self, obj):
        d = obj.published_date
        return d.year * 10000 + d.month * 100 + d.day if d else 99991231

    def prepare_date_desc(self, obj):
        d = obj.published_date
        return d.year * 10000 + d.month * 100 + d.day if d else 0

    def prepare(self, obj):
        from articles.indexing.entries import content_hash

        data = super().prepare(obj)
        data["spelling"] = data["text"]
        data["content_hash"] = content_hash(data)
        return data

    def prepare_title_sort(self, obj):
        return obj.title.casefold()[:200]
