"""Stage timing and a progress display (terminal by default, any callback for the dashboard)."""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["Progress", "peak_rss_mb"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Progress:
    """Records per-stage wall time and peak memory; reports each step to ``sink``."""

    def __init__(self, sink: Callable[[str, float], None] | None = None, quiet: bool = False):
        self.sink = sink
        self.quiet = quiet
        self.timings: dict[str, dict[str, float]] = {}
        self.fraction = 0.0

    def say(self, message: str, fraction: float | None = None) -> None:
        if fraction is not None:
            self.fraction = fraction
        if self.sink:
            self.sink(message, self.fraction)
        elif not self.quiet and sys.stderr.isatty():
            bar = "#" * int(self.fraction * 20)
            print(f"\r[{bar:<20}] {self.fraction:4.0%} {message}\033[K", end="", file=sys.stderr, flush=True)
        elif not self.quiet and fraction is not None:
            print(f"[{self.fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    @contextmanager
    def stage(self, name: str, label_zh: str, fraction: float) -> Iterator[None]:
        self.say(f"{label_zh}…", fraction)
        t0 = time.perf_counter()
        yield
        self.timings[name] = {"seconds": round(time.perf_counter() - t0, 3), "peak_rss_mb": round(peak_rss_mb(), 1)}

    def done(self, message: str) -> None:
        self.say(message, 1.0)
        if not self.sink and not self.quiet and sys.stderr.isatty():
            print(file=sys.stderr)
