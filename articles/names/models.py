"""The entity (alias) table and the mentions computed from it. Part of the `articles` app
(imported by articles/models.py; migration 0003_entities).

An Entity is someone or something the articles name, under a canonical name, with the other names it
goes by (EntityVariant): spellings the romanisation rules cannot join, acronyms in other languages
(CSTO = ODKB = ОДКБ), former names (Alma-Ata), titles (Elbasy). ArticleMention says how often an
article names it, and in which spellings; articles/names/mentions.py keeps it in step.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from articles.model_parts import FROM_CURATOR, FROM_METADATA_FILE, SlugFromNameMixin
from articles.names.variants import name_keys


class EntityQuerySet(models.QuerySet):
    def with_counts(self):
        """Annotated with `n_articles` and `n_mentions` (total occurrences)."""
        return self.annotate(
            n_articles=models.Count("mentions", distinct=True),
            n_mentions=models.Sum("mentions__count", default=0),
        )


class Entity(SlugFromNameMixin):
    url_name = "articles:entity"

    class Kind(models.TextChoices):  # labels from the names: "Person"...
        PERSON = "person"
        ORGANISATION = "organisation"
        PLACE = "place"
        OTHER = "other"

    name = models.CharField(max_length=200, unique=True, help_text="The canonical name, as the archive shows it.")
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(blank=True, help_text="Who or what it is; shown on its page.")
    notes = models.TextField(blank=True, help_text="Curators' notes; not shown publicly.")
    provenance = models.TextField(
        blank=True, help_text="Where the entry comes from and which files use which spelling; shown on its page."
    )
    origin = models.CharField(
        max_length=20,
        choices=[(FROM_METADATA_FILE, "fixtures/entities.json"), (FROM_CURATOR, "curator")],
        default=FROM_CURATOR,
        help_text="Entries from the metadata file follow it until a curator edits them.",
    )
    file_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # True from a change of the entity or its variants until its mentions are recomputed (see mentions.py).
    mentions_stale = models.BooleanField(default=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_name = instance.__dict__.get("name")  # to tell a rename from other edits
        return instance

    def clean(self):
        other = name_conflict(self.name, exclude_entity_id=self.pk)
        if other:
            raise ValidationError({"name": other})

    def names(self) -> list[str]:
        """The canonical name and every variant: what mentions look for."""
        return [self.name, *(v.text for v in self.variants.all())]


class EntityVariant(models.Model):
    class Kind(models.TextChoices):
        SPELLING = "spelling", "Spelling or transliteration"
        ACRONYM = "acronym", "Acronym or short form"
        TRANSLATION = "translation", "Name in another language"
        FORMER = "former", "Former or later name"
        TITLE = "title", "Title or epithet"
        OTHER = "other", "Other"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="variants")
    text = models.CharField(max_length=200)
    language = models.CharField(
        max_length=20, blank=True, help_text="BCP 47 with script where it matters: en, ru, kk (Cyrillic), kk-Latn."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SPELLING)
    note = models.CharField(max_length=300, blank=True, help_text="E.g. 'name of the capital 2019-2022'.")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["entity", "text"], name="unique_variant_per_entity")]

    def __str__(self) -> str:
        return self.text

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_text = instance.__dict__.get("text")
        return instance

    def clean(self):
        if not name_keys(self.text):
            raise ValidationError({"text": "A variant needs at least one letter or digit."})
        other = name_conflict(self.text, exclude_entity_id=self.entity_id)
        if other:
            raise ValidationError({"text": other})


def name_conflict(text: str, exclude_entity_id: int | None) -> str:
    """Why `text` cannot name a new or other entity ("" if it can): it is already a spelling of a name of
    another one, and a mention of it would be ambiguous."""
    keys = name_keys(text)
    for other in Entity.objects.exclude(pk=exclude_entity_id).prefetch_related("variants"):
        for name in other.names():
            if name_keys(name) == keys:
                return f"“{text}” is a spelling of “{name}”, a name of {other.name}."
    return ""


class ArticleMention(models.Model):
    """How often one article names one entity, and in which spellings (as written: {"Tokaev": 1})."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="mentions")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="mentions")
    count = models.PositiveIntegerField()
    forms = models.JSONField(default=dict)

    class Meta:
        ordering = ["-count", "entity__name"]
        constraints = [models.UniqueConstraint(fields=["article", "entity"], name="unique_mention")]

    def __str__(self) -> str:
        return f"{self.entity} ×{self.count} in article {self.article_id}"
