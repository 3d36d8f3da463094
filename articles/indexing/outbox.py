"""The outbox between database and index: record index updates in the writing transaction, apply them
after it commits, keep what failed for a retry.

A change to an article (or to what its entry shows: credits, tags, outlet, person, stance) writes a
`PendingIndexUpdate` row in the same transaction (`schedule`, called from articles/signals.py), so a
committed change leaves an up-to-date index entry or a row, never neither. After the commit the rows are
applied and deleted; when the index write fails (a read-only or missing index folder, a full disk) the
save still succeeds, the rows stay with `attempts` and `last_error`, the failure is logged, and
`process_index_queue` (cron or an operator), `check_index --repair` or the next successful apply of that
article brings the index in step.
`check_index` and the admin (Pending index updates) list what is waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.index_state import IndexUnavailable
from articles.indexing import entries
from articles.models import PendingIndexUpdate

logger = logging.getLogger(__name__)
CHUNK = 500  # articles per index write when working through the queue
ERROR_CHARS = 1000


@dataclass
class Applied:
    indexed: set[int] = field(default_factory=set)  # articles now in step
    failed: dict[int, str] = field(default_factory=dict)  # article id -> why its index write failed

    def merge(self, other: Applied) -> None:
        self.indexed |= other.indexed
        self.failed.update(other.failed)


def record(article_ids) -> list[int]:
    """One row per article, written in the caller's transaction; returns the rows' ids."""
    rows = PendingIndexUpdate.objects.bulk_create([PendingIndexUpdate(article_id=i) for i in article_ids])
    return [row.pk for row in rows]


class PendingReindex:
    """One on-commit callback per transaction: the articles it touched, indexed after the commit.

    Each article's outbox row is written once per transaction, when first touched, and again after a
    savepoint it was written in may have rolled back.
    """

    def __init__(self):
        self.recorded: dict[int, tuple] = {}  # article id -> savepoints open when its row was written
        self.done = False

    def record(self, ids, savepoints: tuple) -> None:
        new = [i for i in ids if i not in self.recorded or self.recorded[i] != savepoints[: len(self.recorded[i])]]
        if new:
            record(new)
            self.recorded.update(dict.fromkeys(new, savepoints))

    def __call__(self):
        self.done = True
        after_commit(self.recorded)


def schedule(ids) -> None:
    """These articles changed in the current transaction: record their rows now, index them after the
    commit (at once under autocommit, where the change is committed already)."""
    ids = {int(i) for i in ids if i is not None}
    if not ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # autocommit: the change is committed already
        record(ids)
        after_commit(ids)
        return
    pending = next((f for _, f, _ in connection.run_on_commit if isinstance(f, PendingReindex) and not f.done), None)
    if pending is None:
        pending = PendingReindex()
        transaction.on_commit(pending)
    pending.record(ids, tuple(connection.savepoint_ids))


_batch = threading.local()


class Batch:
    """Index updates held back across several transactions and applied in one index write (`flush`).
    Their rows are committed with each transaction, so nothing is lost if the process dies first."""

    def __init__(self):
        self.article_ids: set[int] = set()

    def flush(self) -> Applied:
        ids, self.article_ids = self.article_ids, set()
        return apply(ids)


@contextmanager
def batched():
    """Within this block (one thread), committed changes are indexed on `flush()` and at its end, not
    after each commit: a folder ingest pays one index commit per hundred files, not one per file."""
    if getattr(_batch, "current", None) is not None:  # already batching: the outer block flushes
        yield _batch.current
        return
    batch = _batch.current = Batch()
    try:
        yield batch
    finally:
        _batch.current = None
        batch.flush()


def after_commit(article_ids) -> None:
    """Apply now, or hold for the batch this thread is in."""
    batch = getattr(_batch, "current", None)
    if batch is None:
        apply(article_ids)
    else:
        batch.article_ids.update(article_ids)


def batching() -> bool:
    return getattr(_batch, "current", None) is not None


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]


def _write(article_ids: list[int]) -> Applied:
    """Index these articles as the database has them now; one index commit, per article on a data error."""
    try:
        entries.reindex_articles(article_ids)
        return Applied(indexed=set(article_ids))
    except (
        OSError,
        IndexUnavailable,
    ) as exc:  # the index itself cannot be written: every article would fail the same way
        return Applied(failed=dict.fromkeys(article_ids, describe(exc)))
    except Exception as exc:
        if len(article_ids) == 1:
            return Applied(failed={article_ids[0]: describe(exc)})
    result = Applied()  # one article's data broke the batch: do not let it hold back the others
    for article_id in article_ids:
        result.merge(_write([article_id]))
    return result


def apply(article_ids) -> Applied:
    """Index these articles and settle their queue rows: deleted when the write succeeded, marked with
    the error when it failed. Never raises: a failure is logged and stays in the queue."""
    article_ids = sorted({int(i) for i in article_ids})
    if not article_ids:
        return Applied()
    try:
        # Rows that exist now were committed before the write below reads the database, so it covers
        # them; a row committed after this line stays for its own apply.
        rows = list(PendingIndexUpdate.objects.filter(article_id__in=article_ids).values_list("pk", "article_id"))
        result = _write(article_ids)
        if result.indexed:
            PendingIndexUpdate.objects.filter(pk__in=[pk for pk, a in rows if a in result.indexed]).delete()
        if result.failed:
            _mark_failed([(pk, a) for pk, a in rows if a in result.failed], result.failed)
        return result
    except Exception as exc:  # the database failed after the commit: the rows are still there
        logger.exception("index update of articles %s failed; their queue rows are kept", article_ids)
        return Applied(failed=dict.fromkeys(article_ids, describe(exc)))


def _mark_failed(rows: list[tuple[int, int]], errors: dict[int, str]) -> None:
    now = timezone.now()
    for article_id, error in errors.items():
        PendingIndexUpdate.objects.filter(pk__in=[pk for pk, a in rows if a == article_id]).update(
            attempts=F("attempts") + 1, last_attempt=now, last_error=error
        )
    shown = sorted(errors)[:10]
    logger.error(
        "index update failed for %d article(s) (%s%s): %s; kept in the queue for process_index_queue",
        len(errors),
        ", ".join(map(str, shown)),
        ", ..." if len(errors) > len(shown) else "",
        errors[shown[0]],
    )


def process_queue(limit: int | None = None) -> Applied:
    """Apply every pending row (oldest first), CHUNK articles per index write; stops at the first write
    that fails because the index itself cannot be written."""
    result = Applied()
    seen: set[int] = set()
    while limit is None or len(seen) < limit:
        batch = list(
            PendingIndexUpdate.objects.exclude(article_id__in=seen)
            .order_by("article_id")
            .values_list("article_id", flat=True)
            .distinct()[: CHUNK if limit is None else min(CHUNK, limit - len(seen))]
        )
        if not batch:
            break
        seen.update(batch)
        applied = apply(batch)
        result.merge(applied)
        if applied.failed and not applied.indexed:
            break
    return result


@dataclass
class QueueState:
    pending: int  # rows
    articles: int
    oldest: object = None  # datetime of the oldest row
    failing: int = 0  # rows whose last write failed
    last_error: str = ""

    def line(self) -> str:
        if not self.pending:
            return "no index updates pending."
        text = (
            f"{self.articles} index update{'s' if self.articles != 1 else ''} pending, oldest "
            f"{self.oldest:%Y-%m-%d %H:%M:%S} UTC"
        )
        if self.failing:
            text += f"; {self.failing} failed, last error: {self.last_error} (retry: manage.py process_index_queue)"
        return text + "."


def state() -> QueueState:
    from django.db.models import Count, Min

    rows = PendingIndexUpdate.objects.aggregate(n=Count("pk"), oldest=Min("created"))
    if not rows["n"]:
        return QueueState(0, 0)
    failing = PendingIndexUpdate.objects.filter(attempts__gt=0)
    last = failing.order_by("-last_attempt", "-pk").values_list("last_error", flat=True).first() or ""
    return QueueState(
        pending=rows["n"],
        articles=PendingIndexUpdate.objects.values("article_id").distinct().count(),
        oldest=rows["oldest"].astimezone(dt.UTC) if rows["oldest"] else None,
        failing=failing.count(),
        last_error=last,
    )
