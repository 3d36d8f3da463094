"""Overrides haystack's update_index (and so rebuild_index): one bulk writer for the whole run, and progress.

This command replaces haystack's own `update_index` because `articles` comes before `haystack` in
INSTALLED_APPS; it takes all of haystack's options, and adds `--quiet`.

With kzarchive's Whoosh backend the articles are analysed by worker processes and committed once
(`ArchiveWhooshBackend.bulk_session`); reindex requests from the site meanwhile are queued and applied
at the end instead of waiting behind the lock. Other engines, and `--workers`, run haystack's own way.

Progress goes to stderr (articles/progress.py) and to a status file other processes read
(articles/rebuild_status.py: `index_status`, `check_index`, the admin). Ctrl-C stops before the next
batch; a bulk session then commits nothing.
"""

from contextlib import contextmanager, nullcontext

from django.core.management.base import CommandError
from haystack import connections
from haystack.exceptions import NotHandled
from haystack.management.commands import update_index
from haystack.utils.app_loading import haystack_get_models

from articles import progress, rebuild_status
from articles.indexing import entries

PROGRESS_STEP = 100


def bulk_session(options: dict, *, replace: bool = False):
    """The index's bulk session for this command run, or None where haystack's own way applies:
    `--workers`, other connections than "default", engines without one (Solr, Elasticsearch)."""
    using = list(options.get("using") or connections.connections_info)
    if options.get("workers") or using != ["default"]:
        return None
    return entries.bulk_session(replace=replace)


class IndexCommand:
    """What update_index and rebuild_index add to haystack's: `--quiet`, and a tracked run."""

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--quiet", action="store_true", help="no progress; only errors and the final count")

    @contextmanager
    def tracked(self, kind: str, options: dict, session, *, outermost: bool = True):
        """The run in the status file with progress (`self.tracker`), Ctrl-C stopping before the next batch
        (`self.ctrl_c`) and the bulk session, if any, committed at the end. The outermost run says when it
        is done and turns Ctrl-C into exit status 130."""
        make = lambda: progress.for_command(self, options, f"{kind}_index", None, "articles")  # noqa: E731
        try:
            with rebuild_status.tracking(kind, make, bulk=session is not None) as self.tracker:
                with progress.stop_on_ctrl_c(self.tracker.progress.note, "the batch in hand") as self.ctrl_c:
                    with session or nullcontext():
                        yield
                        if session is not None:
                            self.tracker.committing()
                    if outermost and int(options.get("verbosity", 1)):
                        self.stdout.write(self.tracker.finished())
        except KeyboardInterrupt:
            if not outermost:
                raise
            raise CommandError(self.tracker.interrupted(), returncode=130) from None


class Command(IndexCommand, update_index.Command):
    help = (
        "Overrides haystack's update_index: updates the search index from the database, with progress and, "
        "on kzarchive's Whoosh index, one bulk writer and one commit for the whole run."
    )

    def handle(self, **options):
        outermost = rebuild_status.active() is None
        session = bulk_session(options) if outermost else None
        with self.tracked("update", options, session, outermost=outermost):
            super().handle(**options)

    def update_backend(self, label, using):
        """haystack's, counting the articles first and each batch as it is written (stopping on Ctrl-C)."""
        backend = connections[using].get_backend()
        unified = connections[using].get_unified_index()
        total = 0
        for model in haystack_get_models(label):
            try:
                index = unified.get_index(model)
            except NotHandled:
                continue
            total += index.build_queryset(using=using, start_date=self.start_date, end_date=self.end_date).count()
        self.tracker.add_total(total)
        plain_update = backend.update

        # In a bulk session a batch is only handed to the writer (one commit at the end), so it is handed
        # over in steps small enough for the progress to move (haystack's batches are 1,000s).
        step = PROGRESS_STEP if self.tracker.bulk else None

        def update(index, iterable, commit=True):
            batch = list(iterable)
            for start in range(0, len(batch), step or len(batch) or 1):
                self.ctrl_c.check()
                part = batch[start : start + step] if step else batch
                plain_update(index, part, commit=commit)
                self.tracker.advance(len(part))

        backend.update = update
        try:
            return super().update_backend(label, using)
        finally:
            backend.update = plain_update
            if vars(backend).get("update") is plain_update:
                del backend.update
