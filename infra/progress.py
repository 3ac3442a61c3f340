"""Progress on long work (demo, replay, simulate, ingest): totals and time left, on stderr.

On a terminal one line redraws itself as a bar:
    ingest medical  [##########----------]  50%  13,500/27,000 rows  3,200/s  4 s left
Otherwise (a log file, CI) a plain line every `every` seconds and one at the end.

    progress = Progress("ingest medical", total=27_000, unit="rows")
    progress.update(13_500)       # as often as you like: it draws at most a few times a second
    progress.finish()

`line()` is pure (what one report says); the class only decides when to print it.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 20


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def line(label: str, done: int, total: int | None, elapsed: float, unit: str = "", *, bar: bool = False) -> str:
    """`label [###---] 50%  13,500/27,000 rows  3,200/s  4 s left` (no bar, percent or time left without a total)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [label]
    if total:
        share = min(done / total, 1.0)
        if bar:
            filled = int(share * WIDTH)
            parts.append("[" + "#" * filled + "-" * (WIDTH - filled) + "]")
        parts.append(f"{share * 100:3.0f}%")
        parts.append(f"{done:,}/{total:,} {unit}".rstrip())
    else:
        parts.append(f"{done:,} {unit}".rstrip())
    if rate:
        parts.append(f"{rate:,.0f}/s")
    if total and rate and done < total:
        parts.append(f"{duration((total - done) / rate)} left")
    elif total and done >= total:
        parts.append(f"done in {duration(elapsed)}")
    return "  ".join(parts)


class Progress:
    def __init__(self, label: str, total: int | None = None, unit: str = "", *, stream: TextIO | None = None,
                 every: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.total, self.unit, self.every, self.clock = label, total, unit, every, clock
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = self.last = clock()
        self.done = 0
        self.drawn = False

    def update(self, done: int, total: int | None = None) -> None:
        self.done, self.total = done, total if total is not None else self.total
        now = self.clock()
        if now - self.last >= (0.2 if self.tty else self.every):
            self.last = now
            self._draw()

    def finish(self, done: int | None = None) -> None:
        if done is not None:
            self.done = done
        if self.total is None:
            self.total = self.done
        self._draw()
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        text = line(self.label, self.done, self.total, self.clock() - self.started, self.unit, bar=self.tty)
        self.stream.write(f"\r\033[K{text}" if self.tty else text + "\n")
        self.stream.flush()
        self.drawn = True


def count_rows(paths) -> int:
    """Data rows in CSV files (lines minus each header), read fast as bytes: a total for ingest's progress."""
    rows = 0
    for path in paths:
        with open(path, "rb") as f:
            lines, last = 0, b""
            for chunk in iter(lambda: f.read(1 << 20), b""):
                lines, last = lines + chunk.count(b"\n"), chunk[-1:]
        unterminated = 1 if last not in (b"\n", b"") else 0
        rows += max(0, lines + unterminated - 1)
    return rows


class Stages:
    """Progress of work in stages: `stages("ingest medical", 1_200, 27_000)`; a new label finishes the last bar."""

    def __init__(self, unit: str = "records", **options: object) -> None:
        self.unit, self.options = unit, options
        self.current: Progress | None = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.current is None or self.current.label != stage:
            self.close()
            self.current = Progress(stage, total, self.unit, **self.options)
        self.current.update(done, total)

    def close(self) -> None:
        if self.current is not None:
            self.current.finish()
            self.current = None
