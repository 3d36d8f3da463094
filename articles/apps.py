from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Archive"

    def ready(self):
        from articles import catalog_state
        from articles.names import signals

        signals.connect()
        catalog_state.connect()
        post_migrate.connect(create_index_for_empty_archive, sender=self)


def create_index_for_empty_archive(using="default", **kwargs) -> None:
    """migrate makes the search index of a new, empty archive (nothing else creates one implicitly).

    With articles in the database and no index, it only says so: an empty index beside them would answer
    wrongly, and searches say the index is missing (503) until `check_index --repair` or rebuild_index."""
    from articles import engine
    from articles.models import Article

    backend = engine.get_backend()
    if not engine.creates_index(backend) or backend.index_exists():
        return
    if Article.objects.using(using).exists():
        print("No search index: run `manage.py rebuild_index` (searches answer 503 until then).")
        return
    backend.create_index()
