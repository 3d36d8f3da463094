"""The curators' workbench. Every edit made here is recorded as the curator's, so ingest keeps it."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.functions import ExtractYear
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from articles.ingest import FAILED, Curated, ingest_bytes
from articles.models import FROM_CURATOR, Article, Credit, Person, Source, StanceCategory, Tag

# Admin form fields -> the provenance key ingest checks before overwriting.
PROVENANCE_KEYS = {
    "title": "title",
    "body": "body",
    "source": "source",
    "published_date": "published",
    "date_precision": "published",
    "published_time": "published",
    "published_time_zone": "published",
    "published_utc_offset": "published",
    "date_note": "published",
    "stance": "stance",
    "stance_rationale": "stance_rationale",
    "url": "url",
    "language": "language",
    "description": "description",
    "tags": "tags",
    "references": "references",
}


# Shown, never edited: where the article came from and what ingest recorded.
PROVENANCE_FIELDS = [
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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("allow_empty_file", True)  # ingest explains an empty file itself
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        return [single(d, initial) for d in data] if isinstance(data, list | tuple) else [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(help_text="Saved pages (.html, .htm, .html.gz) or plain-text articles (.txt).")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    change_list_template = "admin/articles/article/change_list.html"
    list_display = ["title", "source", "authors_display", "published_display", "date_precision", "stance"]
    list_filter = ["source", "stance", "date_precision", YearFilter]
    search_fields = ["title", "people__name"]
    autocomplete_fields = ["source"]
    filter_horizontal = ["tags"]
    inlines = [CreditInline]
    list_select_related = ["source", "stance"]
    readonly_fields = PROVENANCE_FIELDS
    fieldsets = [
        (None, {"fields": ["title", "source", "url", "language", "description", "tags"]}),
        (
            "Date",
            {
                "fields": [
                    "published_date",
                    "date_precision",
                    "published_time",
                    "published_time_zone",
                    "published_utc_offset",
                    "date_note",
                ]
            },
        ),
        ("Stance", {"fields": ["stance", "stance_rationale"]}),
        ("Text", {"fields": ["body", "references"]}),
        ("Provenance (read-only)", {"fields": PROVENANCE_FIELDS}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("credits__person").defer("raw_bytes")

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="articles_article_upload")
        return [upload, *super().get_urls()]

    def upload_view(self, request):
        """Ingest uploaded files exactly as the ingest command does: one transaction per file."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            curated = Curated.load()
            for upload in form.cleaned_data["files"]:
                if upload.size > settings.INGEST_MAX_BYTES:
                    self.message_user(
                        request, f"{upload.name}: file is {upload.size:,} bytes, over the limit.", messages.ERROR
                    )
                    continue
                outcome = ingest_bytes(upload.name, upload.read(), curated=curated)
                level = messages.ERROR if outcome.status == FAILED else messages.SUCCESS
                self.message_user(request, f"{outcome.name}: {outcome.status}. {outcome.message}".strip(), level)
            return redirect("admin:articles_article_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Upload articles",
        }
        return TemplateResponse(request, "admin/articles/article/upload.html", context)

    @admin.display(description="authors")
    def authors_display(self, obj):
        return ", ".join(obj.author_names)

    @admin.display(description="published", ordering="published_date")
    def published_display(self, obj):
        return obj.published_display

    @admin.display(description="raw original (verbatim)")
    def raw_original(self, obj):
        return format_html(
            '<pre class="kz-raw" style="white-space:pre-wrap;max-height:30em;overflow:auto">{}</pre>', obj.raw_text
        )

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
