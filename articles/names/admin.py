"""Curators edit the entity table here; an edit marks the entity as the curator's (the entities file no
longer applies to it) and its mentions are recomputed after the save (articles/names/mentions.py)."""

from django.contrib import admin

from articles.model_parts import FROM_CURATOR
from articles.names.models import Entity, EntityVariant


class EntityVariantInline(admin.TabularInline):
    model = EntityVariant
    extra = 2
    fields = ["text", "language", "kind", "note"]


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "variant_count", "origin", "mentions_stale"]
    list_filter = ["kind", "origin", "mentions_stale"]
    search_fields = ["name", "variants__text"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [EntityVariantInline]
    readonly_fields = ["origin", "mentions_stale", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "description"]}),
        ("Curators", {"fields": ["notes", "provenance", "origin", "mentions_stale", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("variants")

    @admin.display(description="variants")
    def variant_count(self, obj):
        return len(obj.variants.all())

    def save_model(self, request, obj, form, change):
        if form.has_changed():
            obj.origin = FROM_CURATOR
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        entity = form.instance
        if entity.origin != FROM_CURATOR and any(fs.has_changed() for fs in formsets):
            entity.origin = FROM_CURATOR
            Entity.objects.filter(pk=entity.pk).update(origin=FROM_CURATOR)
