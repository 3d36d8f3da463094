"""Is the search index there and whole? The errors that say it is not, and the checks that raise them.

A missing or damaged index must never look like an empty archive (a search answering `count: 0` with
status 200). Reading code raises `IndexUnavailable` instead; articles.middleware turns it into a 503 page
(JSON under /api/) and logs it; `manage.py check_index` reports it in one line and `--repair` rebuilds.
"""

from __future__ import annotations


class SearchUnavailable(Exception):
    """Search cannot answer correctly right now; `reason` says why in one line, for readers and the log."""

    status = 503

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class IndexUnavailable(SearchUnavailable):
    """The search index is missing, damaged, incomplete or not writable."""

    REPAIR = "run `manage.py check_index --repair` (it rebuilds the index from the database)"


class IndexMissing(IndexUnavailable):
    pass


class IndexDamaged(IndexUnavailable):
    pass
