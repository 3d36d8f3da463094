"""Whoosh's multi-process writer, made safe to rely on for bulk sessions (articles/whoosh/writing.py)."""

from __future__ import annotations

import queue

from haystack.exceptions import SearchBackendError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter


class SchemaSubWriterTask(SubWriterTask):
    """A worker that writes with the parent writer's schema. Whoosh's own worker reopens the index with
    the schema stored in it, which a rebuild after a schema change (a new field) is about to replace."""

    schema = None

    def run(self):
        open_index = self.storage.open_index
        self.storage.open_index = lambda *args, **kwargs: open_index(*args, **{**kwargs, "schema": self.schema})
        super().run()


class CheckedMpWriter(MpWriter):
    """Whoosh's multi-process writer (each worker analyses its share of the documents into a segment of
    its own), made safe to rely on. Whoosh 2.7.4's commit waits one second for each worker's result and
    silently drops a worker that failed, with its documents; its cancel flags the workers in the parent
    process only, so they stay blocked on their queue. Here a failed worker fails the commit (nothing is
    written) and cancel stops the workers."""

    def _new_task(self):
        task = SchemaSubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        task.schema = self.schema
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self):
        """Whoosh's, except that a full job queue whose workers died raises instead of waiting forever."""
        import pickle

        from whoosh.util import random_name

        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as handle:
            for item in self.docbuffer:
                pickle.dump(item, handle, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job) -> None:
        while True:
            try:
                self.jobqueue.put(job, timeout=1)
                return
            except queue.Full:
                if not all(task.is_alive() for task in self.tasks):
                    self._fail()

    def _fail(self):
        failed = [task.exitcode for task in self.tasks if task.exitcode]
        self._stop_tasks()
        SegmentWriter.cancel(self)
        raise SearchBackendError(f"An index worker process failed (exit codes {failed}); nothing was written.")

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        results = self._results()
        for task in self.tasks:
            task.join()
        if len(results) != len(self.tasks) or any(task.exitcode for task in self.tasks):
            self._fail()
        finalsegments += [segment for _, _, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def _results(self) -> list:
        """Each worker's (run, fields, segment), read before joining it (a process with unread queue
        data cannot exit); stops waiting once every worker is gone."""
        results, gone = [], False
        while len(results) < len(self.tasks):
            try:
                results.append(self.resultqueue.get(timeout=1))
            except queue.Empty:
                if gone:  # every worker was gone and their last results are read
                    break
                gone = not any(task.is_alive() for task in self.tasks)
        return results

    def _stop_tasks(self):
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        self.tasks = []

    def cancel(self):
        self._stop_tasks()
        if not self.is_closed:
            SegmentWriter.cancel(self)
