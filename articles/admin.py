"""The curators' workbench. Every edit made here is recorded as the curator's, so ingest keeps it."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.functions import ExtractYear
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from articles.ingest import FAILED, Curated, ingest_bytes
from articles.model_parts import FROM_CURATOR
from articles.models import Article, Credit, PendingIndexUpdate, Person, Source, StanceCategory, Tag

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


class BrowserText(forms.CharField):
    """Text as a browser sends it back: CRLF line breaks are LF, and a value that differs from the stored
    one only in line breaks or surrounding space is unchanged."""

    def to_python(self, value):
        value = super().to_python(value)
        # Browsers submit a textarea's line breaks as CRLF; the archive stores LF (paragraphs split on "\n\n").
        return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value

    def has_changed(self, initial, data):
        return super().has_changed(self.to_python(initial), data)


# Model fields that hold values (not relations): what "unchanged" can restore byte for byte.
VALUE_FIELDS = frozenset(f.name for f in Article._meta.concrete_fields if not f.is_relation)


class ArticleAdminForm(forms.ModelForm):
    """An article's change form that keeps what the curator did not change exactly as stored.

    A field counts as changed only if its value differs from the stored one as a browser round-trips it
    (line breaks, surrounding space), and an unchanged field is saved with its stored value, not the
    one the browser sent back, and not re-validated (a stored URL Django's validator rejects must not
    block an edit of the stance). Only changed fields are marked as the curator's (see save_model).
    """

    class Meta:
        model = Article
        fields = list(PROVENANCE_KEYS)  # every editable field, each with its provenance key
        field_classes = dict.fromkeys(["title", "body", "date_note", "stance_rationale", "description"], BrowserText)
        widgets = {
            "title": AdminTextareaWidget(attrs={"rows": 2}),
            "date_note": AdminTextareaWidget(attrs={"rows": 2}),
            "stance_rationale": AdminTextareaWidget(attrs={"rows": 3}),
            "description": AdminTextareaWidget(attrs={"rows": 3}),
        }

    @property
    def kept_as_stored(self) -> set[str]:
        if self.instance.pk is None or not self.is_bound:
            return set()
        return {name for name in self.fields if name in VALUE_FIELDS and name not in self.changed_data}

    def clean(self):
        cleaned = super().clean()
        for name in self.kept_as_stored:
            cleaned[name] = getattr(self.instance, name)
            self._errors.pop(name, None)
        return cleaned

    def _get_validation_exclusions(self):
        # The model's validators judge new input; a stored value the curator left alone is not re-judged.
        return super()._get_validation_exclusions() | self.kept_as_stored


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


def size_limit() -> str:
    """INGEST_MAX_BYTES for people: "5.0 MB (5,242,880 bytes)"."""
    return f"{filesizeformat(settings.INGEST_MAX_BYTES)} ({settings.INGEST_MAX_BYTES:,} bytes)"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    change_list_template = "admin/articles/article/change_list.html"
    # The published date is shown at its precision ("January 2022"), so precision needs no column of its own:
    # with the sidebar and the filters, a 1280 px screen has about 630 px for the list.
    list_display = ["title", "source", "authors_display", "published_display", "stance"]
    list_filter = ["source", "stance", "date_precision", YearFilter]
    search_fields = ["title", "body", "people__name", "source__name", "source_file"]
    autocomplete_fields = ["source"]
    filter_horizontal = ["tags"]
    inlines = [CreditInline]
    list_select_related = ["source", "stance"]
    readonly_fields = PROVENANCE_FIELDS
    fieldsets = [
        (None, {"fields": ["title", "source", "url", "language", "description", "tags"]}),
        ("Date", {"fields": [name for name, key in PROVENANCE_KEYS.items() if key == "published"]}),
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
                        request,
                        f"{upload.name}: failed. file is {upload.size:,} bytes, over the limit of {size_limit()}.",
                        messages.ERROR,
                    )
                    continue
                outcome = ingest_bytes(upload.name, upload.read(), curated=curated)
                level = messages.ERROR if outcome.status == FAILED else messages.SUCCESS
                text = f"{outcome.name}: {outcome.status}. {outcome.message}".strip()
                if outcome.index_error:  # stored, not yet searchable: listed under Pending index updates
                    level, text = messages.WARNING, f"{text} Queued for indexing: {outcome.index_error}"
                self.message_user(request, text, level)
            return redirect("admin:articles_article_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Upload articles",
            "size_limit": size_limit(),
        }
        return TemplateResponse(request, "admin/articles/article/upload.html", context)

    @admin.display(description="authors")
    def authors_display(self, obj):
        return ", ".join(obj.author_names)

    @admin.display(description="published", ordering="published_date")
    def published_display(self, obj):
        return obj.published_display

    class Media:
        css = {"all": ["css/admin.css"]}

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
        """Recode the selected articles. An article already coded so is left exactly as it was (value and
        provenance). Where the stance changes, its rationale is cleared: it argued for the previous
        stance, and a page showing it under the new one would state something nobody decided."""
        changed, cleared, already = 0, 0, 0
        for article in queryset:
            if article.stance_id == stance.pk:
                already += 1
                continue
            article.stance = stance
            cleared += bool(article.stance_rationale)
            article.stance_rationale = ""
            mark_curated(article, ["stance", "stance_rationale"])
            article.save(update_fields=["stance", "stance_rationale", "field_sources", "updated_at"])
            changed += 1
        message = f"Stance set to “{stance.name}” on {changed} article(s)"
        if already:
            message += f"; {already} already had it and were left unchanged"
        if cleared:
            message += f"; the rationale of {cleared} was cleared (it argued for the previous stance): add one"
        modeladmin.message_user(request, message + ".", messages.SUCCESS)

    return set_stance


# Every other model's text areas store what the curator typed with LF line breaks, as articles do.
BROWSER_TEXT = {models.TextField: {"form_class": BrowserText}}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    formfield_overrides = BROWSER_TEXT
    list_display = ["name", "kind", "country", "language", "homepage"]
    list_filter = ["kind", "country"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    formfield_overrides = BROWSER_TEXT
    list_display = ["name"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(StanceCategory)
class StanceCategoryAdmin(admin.ModelAdmin):
    formfield_overrides = BROWSER_TEXT
    list_display = ["name", "position", "description"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(PendingIndexUpdate)
class PendingIndexUpdateAdmin(admin.ModelAdmin):
    """Saves and deletes not yet in the search index (articles/indexing/outbox.py): shown, never edited here;
    `manage.py process_index_queue` retries them."""

    list_display = ["article_id", "created", "attempts", "last_attempt", "last_error"]
    list_filter = ["attempts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The entity (alias) table: articles/names/admin.py
from articles.names import admin as names_admin  # noqa: E402, F401
