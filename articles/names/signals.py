"""Keep mentions in step: an article's in its own transaction, an entity's after the commit (mentions.py)."""

from django.db.models import signals

from articles.models import Article
from articles.names import mentions
from articles.names.models import ArticleMention, Entity, EntityVariant

TEXT_FIELDS = {"title", "body"}


def on_article_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not TEXT_FIELDS & set(update_fields)):
        return
    mentions.refresh_articles([instance.pk])


def _changed(instance, field: str, created: bool) -> bool:
    """Whether a saved row is new or its `field` (the names mentions look for) differs from the value
    loaded (`from_db` keeps it as `_loaded_<field>`); the saved value then counts as loaded."""
    value = getattr(instance, field)
    if not created and value == getattr(instance, f"_loaded_{field}", None):
        return False
    setattr(instance, f"_loaded_{field}", value)
    return True


def on_entity_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and _changed(instance, "name", created):
        mentions.entities_changed([instance.pk])


def on_entity_deleting(sender, instance, **kwargs):
    # Its mentions go with it; the articles that had them are recomputed, since its names may have hidden
    # another entity's shorter name ("Nazarbayev Avenue" hides "Nazarbayev").
    articles = ArticleMention.objects.filter(entity=instance).values_list("article_id", flat=True)
    mentions.entities_changed([], article_ids=list(articles))


def on_variant_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and _changed(instance, "text", created):
        mentions.entities_changed([instance.entity_id])


def on_variant_deleted(sender, instance, **kwargs):
    mentions.entities_changed([instance.entity_id])


def connect() -> None:
    signals.post_save.connect(on_article_saved, sender=Article, dispatch_uid="names-article")
    signals.post_save.connect(on_entity_saved, sender=Entity, dispatch_uid="names-entity")
    signals.pre_delete.connect(on_entity_deleting, sender=Entity, dispatch_uid="names-entity-delete")
    signals.post_save.connect(on_variant_saved, sender=EntityVariant, dispatch_uid="names-variant")
    signals.post_delete.connect(on_variant_deleted, sender=EntityVariant, dispatch_uid="names-variant-delete")
