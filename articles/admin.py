"""The curators' workbench. Every edit made here is recorded as the curator's, so ingest keeps it."""

from django.contrib import admin, messages
from django.db.models.functions import ExtractYear
from django.utils.html import format_html

from articles.models import FROM_CURATOR, Article, Credit, Person, Source, StanceCategory, Tag

# Admin form fields -> the provenance key ingest checks before overwriting.
PROVENANCE_KEYS = {
    "title": "title",
    "body": "body",
    "source": "source",
    "published_date": "published",
    "date_precision": "published",
    "published_time": "published",
    "date_note": "published",
    "stance": "stance",
    "stance_rationale": "stance_rationale",
    "url": "url",
    "language": "language",
    "description": "description",
    "tags": "tags",
    "references": "references",
}


def mark_curated(article: Article, keys) -> None:
    article.field_sources = {**(article.field_sources or {}), **dict.fromkeys(keys, FROM_CURATOR)}


class YearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = (
            Article.objects.exclude(published_date=None)
            .annotate(y=ExtractYear("published_date"))
            .values_list("y", flat=True)
            .distinct()
            .order_by("-y")
        )
        return [(str(y), str(y)) for y in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(published_date__year=int(self.value()))
        return queryset


class CreditInline(admin.TabularInline):
    model = Credit
    extra = 1
    autocomplete_fields = ["person"]
    fields = ["person", "role", "position"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "authors_display", "published_display", "date_precision", "stance"]
    list_filter = ["source", "stance", "date_precision", YearFilter]
    search_fields = ["title", "people__name"]
    autocomplete_fields = ["source"]
    filter_horizontal = ["tags"]
    inlines = [CreditInline]
    list_select_related = ["source", "stance"]
    readonly_fields = [
        "source_file",
        "sha256",
        "raw_encoding",
        "extractor",
        "word_count",
        "ingested_at",
        "updated_at",
        "field_sources",
        "raw_original",
    ]
    fieldsets = [
        (None, {"fields": ["title", "source", "url", "language", "description", "tags"]}),
        ("Date", {"fields": ["published_date", "date_precision", "published_time", "date_note"]}),
        ("Stance", {"fields": ["stance", "stance_rationale"]}),
        ("Text", {"fields": ["body", "references"]}),
        (
            "Provenance (read-only)",
            {
                "fields": [
                    "source_file",
                    "sha256",
                    "raw_encoding",
                    "extractor",
                    "word_count",
                    "ingested_at",
                    "updated_at",
                    "field_sources",
                    "raw_original",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("credits__person").defer("raw_bytes")

    @admin.display(description="authors")
    def authors_display(self, obj):
        return ", ".join(obj.author_names)

    @admin.display(description="published", ordering="published_date")
    def published_display(self, obj):
        return obj.published_display

    @admin.display(description="raw original (verbatim)")
    def raw_original(self, obj):
        return format_html('<pre class="kz-raw" style="white-space:pre-wrap;max-height:30em;overflow:auto">{}</pre>', obj.raw_text)

    def save_model(self, request, obj, form, change):
        mark_curated(obj, {PROVENANCE_KEYS[f] for f in form.changed_data if f in PROVENANCE_KEYS})
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if any(fs.has_changed() for fs in formsets):
            article = form.instance
            mark_curated(article, ["credits"])
            Article.objects.filter(pk=article.pk).update(field_sources=article.field_sources)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            return actions
        for stance in StanceCategory.objects.all():
            name = f"set_stance_{stance.pk}"
            actions[name] = (make_set_stance(stance), name, f"Set stance to “{stance.name}”")
        return actions


def make_set_stance(stance: StanceCategory):
    def set_stance(modeladmin, request, queryset):
        count = 0
        for article in queryset:
            article.stance = stance
            mark_curated(article, ["stance"])
            article.save(update_fields=["stance", "field_sources", "updated_at", "word_count"])
            count += 1
        modeladmin.message_user(request, f"Stance set to “{stance.name}” on {count} article(s).", messages.SUCCESS)

    return set_stance


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "language", "homepage"]
    list_filter = ["kind", "country"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(StanceCategory)
class StanceCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "description"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
