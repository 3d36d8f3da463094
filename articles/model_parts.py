"""What the archive's models (articles/models.py) and the entity table (articles/names/models.py) share:
where a value came from, and slugs made from names. Its own module so that neither model module imports the
other for it (articles/models.py imports the entity table's models to register them with the app)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from articles.extraction.types import MONTH, UNKNOWN, YEAR, PartialDate

# Where a value came from.
FROM_TEXT = "text"  # read off the ingested file by the extractor
FROM_METADATA_FILE = "metadata file"  # fixtures/curated.json, kept with the repository
FROM_CURATOR = "curator"  # edited in the admin; never overwritten by ingest


def unique_slug(model: type[models.Model], text: str) -> str:
    base = slugify(text, allow_unicode=False)[:180] or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class SlugFromNameMixin(models.Model):
    """Fill an empty slug from the name, unique within the model, when first saved; shown by its name, at its
    page `url_name` (the URL name that takes the slug). Abstract: it adds no field."""

    url_name = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(type(self), self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(self.url_name, args=[self.slug])


class StoredDateMixin:
    """A date stored as the first day of its span (`published_date`) and its precision, read back as known.

    For the Article model and for the analysis tools' article facts (articles/analysis/corpus.py)."""

    __slots__ = ()

    @property
    def partial_date(self) -> PartialDate:
        d = self.published_date
        if d is None or self.date_precision == UNKNOWN:
            return PartialDate()
        if self.date_precision == YEAR:
            return PartialDate(d.year)
        if self.date_precision == MONTH:
            return PartialDate(d.year, d.month)
        return PartialDate(d.year, d.month, d.day)

    @property
    def published_iso(self) -> str | None:
        return self.partial_date.iso()
