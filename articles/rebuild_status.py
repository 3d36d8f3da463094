"""A rebuild (or update_index) running in one process, as seen from any other.

The process running the index's bulk session writes its state (kind, pid, started, done, total,
articles per second, phase) to a small JSON file beside the index, replacing it atomically several
times a second, and removes it when it ends, however it ends. `index_status`, `check_index` and the
admin read it:

    rebuild in progress: 41,200 / 100,000, about 3 min left to read, then the commit (started 00:12:05 UTC,
    212 articles/s)

A file whose process is gone (killed, machine restarted) is reported as an interrupted rebuild. The
bulk session commits nothing until its end, so the index is then the one from before it.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

FILENAME = ".kzarchive-rebuild-status.json"
STALL_SECONDS = 15  # no progress for this long is worth saying
WRITE_EVERY = 0.2  # seconds between writes of the file while counting (a write costs well under a millisecond)


def status_path(using: str = "default") -> Path | None:
    """Where the status of `using`'s index lives: inside its folder (None for search servers)."""
    from haystack import connections

    folder = connections[using].options.get("PATH")
    return Path(folder) / FILENAME if folder else None


def read(using: str = "default") -> dict | None:
    path = status_path(using)
    if path is None:
        return None
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):  # none, or (never, with atomic writes) half a file
        return None


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


def _about(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    return f"about {minutes} min" if minutes < 60 else f"about {minutes // 60} h {minutes % 60:02d} min"


def describe(status: dict | None, now: float | None = None) -> str | None:
    """One line for people, or None when no rebuild is running or was cut short."""
    if not status:
        return None
    now = time.time() if now is None else now
    kind, done, total = status.get("kind", "rebuild"), int(status.get("done", 0)), status.get("total")
    started = datetime.fromtimestamp(status.get("started", now), UTC).strftime("%H:%M:%S UTC")
    count = f"{done:,} / {total:,}" if total is not None else f"{done:,}"
    if not process_alive(int(status.get("pid", 0))):
        return (
            f"{kind} interrupted at {count} (started {started}; process {status.get('pid')} ended without "
            f"finishing): nothing of it was committed, the index is as it was before; run {kind}_index again"
        )
    if status.get("phase") == "committing":
        return f"{kind} in progress: all {done:,} articles read, writing the new index (started {started})"
    rate = status.get("rate")  # as measured by the rebuild when it last wrote (a stalled one keeps it)
    if total is None or not rate:
        return f"{kind} in progress: {count}, starting (started {started})"
    left = _about(max(0, total - done) / rate)
    line = (
        f"{kind} in progress: {count}, {left} left to read, then the commit (started {started}, {rate:,.0f} articles/s)"
    )
    quiet_for = now - status.get("updated", now)
    if quiet_for >= STALL_SECONDS:  # the estimate above is from before the pause: say so
        line += f"; no article read for the last {quiet_for:,.0f} s"
    return line


def current_line(using: str = "default") -> str | None:
    return describe(read(using))


class Tracker:
    """The bulk session's side: counts, shows (a progress.Progress) and publishes (the status file)."""

    def __init__(self, kind: str, progress, path: Path | None, *, bulk: bool = True):
        self.kind, self.progress, self.path, self.bulk = kind, progress, path, bulk
        self.state = {"kind": kind, "pid": os.getpid(), "started": time.time(), "done": 0, "total": None}
        self.began = time.monotonic()
        self._written_at = 0.0
        self.write()

    @property
    def done(self) -> int:
        return self.state["done"]

    def add_total(self, n: int) -> None:
        total = (self.state["total"] or 0) + n
        self.state["total"] = total
        self.progress.set_total(total)
        if not self.state["done"]:
            self.state["started"] = time.time()
        self.write()

    def advance(self, n: int) -> None:
        self.state["done"] += n
        self.progress.advance(n)
        self.state["rate"] = self.progress.rate
        if time.monotonic() - self._written_at >= WRITE_EVERY:
            self.write()

    def committing(self) -> None:
        """Every article is read; the bulk session's commit (the longest single step) follows."""
        self.state["phase"] = "committing"
        self.write()
        self.progress.close()
        if not self.progress.quiet:
            self.progress.note(
                f"{self.kind}_index: all {self.done:,} articles read; writing the new index "
                "(searches use the old one until it is committed)"
            )

    def finished(self) -> str:
        """The final count, for stdout."""
        took = time.monotonic() - self.began
        verb = "Rebuilt the search index" if self.kind == "rebuild" else "Updated the search index"
        return f"{verb}: {self.done:,} articles in {took:,.1f} s."

    def interrupted(self) -> str:
        """What a stopped run did and did not do."""
        total = f" of {self.state['total']:,}" if self.state["total"] is not None else ""
        if self.bulk:
            return (
                f"interrupted: {self.done:,}{total} articles read, nothing committed: the search index is as it "
                f"was before. Run {self.kind}_index again to {self.kind} it."
            )
        return (
            f"interrupted: {self.done:,}{total} articles indexed, batch by batch (this engine has no bulk "
            f"session); run {self.kind}_index again to finish."
        )

    def write(self) -> None:
        """Replace the file in one rename, so a reader sees the old state or the new, never half."""
        if self.path is None:
            return
        self._written_at = time.monotonic()
        self.state["updated"] = time.time()
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.state))
            os.replace(tmp, self.path)
        except OSError:  # a read-only or vanished folder must not stop the rebuild itself
            tmp.unlink(missing_ok=True)

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


_active: Tracker | None = None


def active() -> Tracker | None:
    return _active


@contextmanager
def tracking(kind: str, make_progress, *, bulk: bool = True, using: str = "default"):
    """The run's Tracker (its display made by `make_progress()`); nested calls (rebuild_index runs
    update_index inside its session) share the outermost one, which ends the display and removes the
    status file when the run ends, however it ends."""
    global _active
    if _active is not None:
        yield _active
        return
    _active = Tracker(kind, make_progress(), status_path(using), bulk=bulk)
    try:
        yield _active
    finally:
        _active.progress.close()
        _active.remove()
        _active = None
