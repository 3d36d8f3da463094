"""How far a long command is: a tqdm bar on a terminal, plain lines elsewhere, and a clean Ctrl-C.

Progress always goes to the command's stderr, so what a command writes to stdout (an export) stays
machine-readable. On a terminal tqdm draws done / total, rate, elapsed and time left. Elsewhere (cron,
CI, a pipe, a log file) a carriage-return bar would be noise, so a plain line is written every tenth of
the total or every LINE_SECONDS, whichever comes first:

    rebuild_index: 4,100 / 10,000 articles (41%), 212 articles/s, elapsed 0:19, about 0:28 left

`quiet` writes no progress at all (the commands still print failures and their final counts).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager

from tqdm import tqdm

LINE_SECONDS = float(os.environ.get("KZARCHIVE_PROGRESS_SECONDS", 10))
LINE_STEPS = 10  # a plain line at every tenth of the total


def _clock(seconds: float) -> str:
    """0:47, 3:14, 1:02:05 (tqdm's format, so the bar and the log lines read the same)."""
    text = tqdm.format_interval(max(0, int(round(seconds))))
    return text[1:] if text.startswith("0") and len(text) == 5 else text


class Progress:
    """Counts `done` of `total` (None while unknown) and shows it; use as a context manager or close()."""

    def __init__(self, what: str, total: int | None, *, unit: str, stream, quiet: bool = False):
        self.what, self.total, self.unit, self.quiet = what, total, unit, quiet
        self.out = getattr(stream, "_out", stream)  # Django's OutputWrapper appends newlines; tqdm needs raw
        self.done = 0
        self.started = time.monotonic()
        self._last_line_at, self._last_line_done = self.started, 0
        self.bar = None
        self.closed = False
        self.on_terminal = not quiet and _isatty(self.out)

    # --- counting ------------------------------------------------------------------------------------
    def set_total(self, total: int) -> None:
        """The total, once known; the clock restarts if nothing was counted yet (listing is not work done)."""
        self.total = total
        if not self.done:
            self.started = self._last_line_at = time.monotonic()
        if self.bar is not None:
            self.bar.total = total
            if not self.done:
                self.bar.reset(total)
            self.bar.refresh()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.on_terminal and self.bar is None and not self.closed:
            # Drawn from the first count on, so what the command prints before it stays above the bar.
            self.bar = tqdm(total=self.total, desc=self.what, unit=f" {self.unit}", file=self.out, dynamic_ncols=True)
            self.bar.start_t = self.bar.last_print_t = self.bar._time() - self.elapsed
        if self.bar is not None:
            self.bar.update(n)
        elif not self.quiet and self._line_due():
            self.line()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float | None:
        elapsed = self.elapsed
        return self.done / elapsed if self.done and elapsed > 0 else None

    @property
    def remaining(self) -> float | None:
        rate = self.rate
        if rate is None or self.total is None:
            return None
        return max(0, self.total - self.done) / rate

    # --- showing -------------------------------------------------------------------------------------
    def _line_due(self) -> bool:
        now = time.monotonic()
        step = max(1, (self.total or 0) // LINE_STEPS) if self.total else None
        if self.total is not None and self.done >= self.total:
            return False  # close() writes the last line
        if step and self.done - self._last_line_done >= step:
            return True
        return now - self._last_line_at >= LINE_SECONDS

    def status(self) -> str:
        """The plain progress line (without the command's name)."""
        if self.total is not None:
            pct = 100 * self.done // self.total if self.total else 100
            text = f"{self.done:,} / {self.total:,} {self.unit} ({pct}%)"
        else:
            text = f"{self.done:,} {self.unit}"
        rate = self.rate
        text += f", {_rate(rate, self.unit)}, elapsed {_clock(self.elapsed)}"
        if self.remaining is not None:
            text += f", about {_clock(self.remaining)} left"
        return text

    def line(self) -> None:
        self._last_line_at, self._last_line_done = time.monotonic(), self.done
        self._write(f"{self.what}: {self.status()}")

    def note(self, text: str, stream=None) -> None:
        """A line of its own (a failure, a phase; on stdout a per-file line) that does not tear the bar."""
        self._write(text, getattr(stream, "_out", stream) or self.out)

    def _write(self, text: str, out=None) -> None:
        out = out or self.out
        if self.bar is not None:
            self.bar.write(text, file=out)
        else:
            out.write(text + "\n")
            out.flush()

    def summary(self) -> str:
        """'10,000 / 10,000 articles in 0:47 (212 articles/s)'."""
        done = f"{self.done:,}" + (f" / {self.total:,}" if self.total is not None else "")
        return f"{done} {self.unit} in {_clock(self.elapsed)} ({_rate(self.rate, self.unit)})"

    def close(self) -> None:
        """End the display: the bar stays on screen at its last count; elsewhere a last line with the totals."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif not self.quiet and not self.closed:
            self._write(f"{self.what}: {self.summary()}")
        self.closed = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _rate(rate: float | None, unit: str) -> str:
    if rate is None:
        return f"- {unit}/s"
    return f"{rate:,.0f} {unit}/s" if rate >= 10 else f"{rate:.1f} {unit}/s"


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def for_command(command, options: dict, what: str, total: int | None, unit: str) -> Progress:
    """A Progress on a management command's stderr; `--quiet` or `-v 0` shows none."""
    quiet = bool(options.get("quiet")) or int(options.get("verbosity", 1)) == 0
    return Progress(what, total, unit=unit, stream=command.stderr, quiet=quiet)


# --- Ctrl-C ------------------------------------------------------------------------------------------------
class Interrupted(KeyboardInterrupt):
    """Raised at a safe point after Ctrl-C (a KeyboardInterrupt, so no `except Exception` retries it)."""


class StopRequest:
    requested = False

    def check(self) -> None:
        """Raise Interrupted here if Ctrl-C was pressed: call it only where stopping leaves things whole."""
        if self.requested:
            raise Interrupted


@contextmanager
def stop_on_ctrl_c(say, what_finishes: str):
    """The first Ctrl-C asks the work to stop at its next safe point (`request.requested`); the second
    stops at once (KeyboardInterrupt). Processes forked meanwhile (Whoosh's index workers) inherit the
    handler and ignore Ctrl-C: their parent stops them. Outside the main thread nothing changes."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    owner = os.getpid()

    def handler(signum, frame):
        if os.getpid() != owner:
            return
        if request.requested:
            raise KeyboardInterrupt
        request.requested = True
        say(f"Ctrl-C: stopping after {what_finishes} (press Ctrl-C again to stop at once)")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
