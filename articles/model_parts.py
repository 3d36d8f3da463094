"""What the archive's models (articles/models.py) and the entity table (articles/names/models.py) share:
where a value came from, and slugs made from names. Its own module so that neither model module imports the
other for it (articles/models.py imports the entity table's models to register them with the app)."""

from __future__ import annotations

from django.db import models
from django.utils.text import slugify

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


class SlugFromNameMixin:
    """Fill an empty slug from the name, unique within the model, when first saved."""

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(type(self), self.name)
        super().save(*args, **kwargs)
