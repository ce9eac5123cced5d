"""A progress bar on stderr for loads of large files: bytes read of the file size, rows, rows/s.

On a terminal the line redraws in place (a few times a second); elsewhere (Airflow logs, CI,
a pipe) it prints a plain line at most every PLAIN_EVERY seconds, so logs stay readable. Small
files (under PROGRESS_MIN_BYTES) show nothing.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

PROGRESS_MIN_BYTES = 8 * 1024 * 1024
REDRAW_EVERY = 0.2       # seconds, on a terminal
PLAIN_EVERY = 10.0       # seconds, elsewhere
BAR_WIDTH = 24
MB = 1024 * 1024


def render(name: str, rows: int, done: int, total: int, elapsed: float) -> str:
    """One progress line: name, bar, percent, MB read of total, rows, rows/s."""
    fraction = min(1.0, done / total) if total else 0.0
    filled = int(round(fraction * BAR_WIDTH))
    rate = rows / elapsed if elapsed > 0 else 0.0
    short = name if len(name) <= 32 else "…" + name[-31:]
    return (f"  {short:<32} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction * 100:5.1f}%  "
            f"{done / MB:,.1f}/{total / MB:,.1f} MB  {rows:,} rows  {rate:,.0f} rows/s")


class ProgressBar:
    """The loader's progress callback: progress(rows read, bytes read, file size)."""

    def __init__(self, name: str, stream: TextIO | None = None, *, min_bytes: int | None = None,
                 tty: bool | None = None):
        self.name = name
        self.stream = stream or sys.stderr
        self.min_bytes = PROGRESS_MIN_BYTES if min_bytes is None else min_bytes
        self.tty = self.stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.last_drawn = float("-inf")
        self.last_line = ""
        self.shown = False
        self.closed = False

    def __call__(self, rows: int, done: int, total: int) -> None:
        if self.closed or total < self.min_bytes:
            return
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.last_drawn < (REDRAW_EVERY if self.tty else PLAIN_EVERY):
            return
        self.last_drawn = now
        line = render(self.name, rows, done, total, now - self.started)
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self.last_line)))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last_line = line
        self.shown = True
        if finished:
            self.close()

    def close(self) -> None:
        """End the redrawn line (a terminal) so what follows starts on its own line."""
        if self.shown and self.tty and not self.closed:
            self.stream.write("\n")
            self.stream.flush()
        self.closed = True
