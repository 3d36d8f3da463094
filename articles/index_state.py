"""Is the search index there and whole? The errors that say it is not, and the checks that raise them.

A missing or damaged index must never look like an empty archive (a search answering `count: 0` with
status 200). Reading code raises `IndexUnavailable` instead; articles.middleware turns it into a 503 page
(JSON under /api/) and logs it; `manage.py check_index` reports it in one line and `--repair` rebuilds.
"""

from __future__ import annotations


class SearchUnavailable(Exception):
    """Search cannot answer correctly right now; `reason` says why in one line, for the log (it may name
    paths); `public` says it to readers."""

    public = "Search is unavailable right now."

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class IndexUnavailable(SearchUnavailable):
    """The search index is missing, damaged, incomplete or not writable."""

    REPAIR = "run `manage.py check_index --repair` (it rebuilds the index from the database)"
    public = "The search index is unavailable, so the archive cannot answer searches correctly right now."


class IndexMissing(IndexUnavailable):
    public = "The search index is missing, so the archive cannot answer searches right now."


class IndexDamaged(IndexUnavailable):
    public = "The search index is damaged, so the archive cannot answer searches correctly right now."


class IndexIncomplete(IndexUnavailable):
    public = "The search index lists fewer than half of the archive's articles; searches would give wrong counts."


def check_complete(doc_count: int) -> None:
    """Raise IndexIncomplete when the index lists fewer than half of the database's articles: an index
    made anew beside a full database (or cut short) answers plausibly and wrongly.

    Only where the archive's articles are installed: the engine also serves haystack's own contract tests
    (tests/haystack_contract), whose models are not the archive's."""
    from django.apps import apps

    if not apps.is_installed("articles"):
        return
    from articles.models import Article

    in_database = Article.objects.count()
    if doc_count * 2 < in_database:
        raise IndexIncomplete(
            f"the search index lists {doc_count:,} articles but the database has {in_database:,}; "
            + IndexUnavailable.REPAIR
        )
