"""The one progress reporter of the command lines (glyphrender's and zi2zi's).

On a terminal (stderr) it keeps one live line rewritten in place; when stdout (or else stderr)
is not a terminal, a log or CI output, it writes a plain line there every ``interval``
seconds (30 by default, ``ZI2ZI_PROGRESS_INTERVAL`` to change), so a long command never looks
hung. ``zi2zi train ... > log`` gets both: the live line on the terminal, plain lines in the log.
A line reads ``train: step 300/1000 (30%) | d_loss 0.41 g_l1 0.11 | 45.2 img/s | ETA 0:04:10``.

Standard library only (glyphrender never imports torch); callers report finished units and,
optionally, the latest figures worth showing.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

from glyphrender import stop

INTERVAL_VAR = "ZI2ZI_PROGRESS_INTERVAL"
DEFAULT_INTERVAL_S = 30.0
LIVE_REFRESH_S = 0.25  # the terminal line is redrawn at most this often
RATE_WINDOW_S = 60.0  # the rate (and so the ETA) is measured over the last minute


def format_duration(seconds: float) -> str:
    """``H:MM:SS``, or ``?`` when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def interval_from_env(default: float = DEFAULT_INTERVAL_S) -> float:
    """Seconds between plain lines: ``ZI2ZI_PROGRESS_INTERVAL`` when it is a positive number."""
    try:
        value = float(os.environ.get(INTERVAL_VAR, ""))
    except ValueError:
        return default
    return value if value > 0 and math.isfinite(value) else default


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


class Progress:
    """Progress of ``total`` units (or an unknown total) of work named ``label``.

    ``rate_unit``/``per_unit``: the rate shown, e.g. images/s when a unit (a step) is
    ``per_unit`` images. ``live``/``plain`` are the streams (None: none); the defaults follow
    the terminals as the module docstring says.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "",
        rate_unit: str | None = None,
        per_unit: float = 1.0,
        enabled: bool = True,
        interval: float | None = None,
        live: TextIO | None = None,
        plain: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.rate_unit = rate_unit or (f"{unit}s" if unit else "items")
        self.per_unit = per_unit
        self.interval = interval_from_env() if interval is None else interval
        self.clock = clock
        if live is None and plain is None and enabled:
            live, plain = self.default_streams()
        self.live = live if enabled else None
        self.plain = plain if enabled else None
        self._width = 0
        self._done = 0
        self._details = ""
        self._samples: deque[tuple[float, int]] = deque()
        self._last_live = self._last_plain = self.clock()
        self._plain_lines = 0

    @staticmethod
    def default_streams() -> tuple[TextIO | None, TextIO | None]:
        """(live, plain): live on a terminal stderr; plain to stdout when it is not a
        terminal, else to stderr when that is not one."""
        live = sys.stderr if _isatty(sys.stderr) else None
        if not _isatty(sys.stdout):
            return live, sys.stdout
        return live, (None if live is not None else sys.stderr)

    def rate(self) -> float:
        """Units per second over the last minute (0 until two updates are apart in time)."""
        if len(self._samples) < 2:
            return 0.0
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0

    def line(self) -> str:
        """The progress line as it stands."""
        done = f"{self.unit} {self._done}" if self.unit else f"{self._done}"
        if self.total:
            done += f"/{self.total} ({100 * self._done / self.total:.0f}%)"
        parts = [f"{self.label}: {done}"]
        if self._details:
            parts.append(self._details)
        rate = self.rate()
        parts.append(f"{rate * self.per_unit:.3g} {self.rate_unit}/s" if rate else "rate ?")
        if self.total:
            left = (self.total - self._done) / rate if rate > 0 else float("inf")
            parts.append(f"ETA {format_duration(left)}")
        return " | ".join(parts)

    def update(self, done: int, details: str | None = None) -> None:
        """``done`` units finished so far; ``details``: latest figures (kept until replaced).

        Raises a stop request (SIGTERM, Ctrl-C) that a handler of glyphrender.stop saw but
        whose exception was dropped: a long loop reports here at every unit of work."""
        stop.check()
        now = self.clock()
        self._done = done
        if details is not None:
            self._details = details
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW_S:
            self._samples.popleft()
        if self.live is not None and now - self._last_live >= LIVE_REFRESH_S:
            self._draw_live()
            self._last_live = now
        if self.plain is not None and now - self._last_plain >= self.interval:
            self._write_plain()
            self._last_plain = now

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def of_total(self, done: int, total: int) -> None:
        """:meth:`update` for callers that report ``(done, total)`` (build, assemble)."""
        self.total = total
        self.update(done)

    def _draw_live(self) -> None:
        assert self.live is not None
        text = self.line()
        self.live.write("\r" + text.ljust(self._width))
        self.live.flush()
        self._width = len(text)

    def _write_plain(self) -> None:
        assert self.plain is not None
        self.plain.write(self.line() + "\n")
        self.plain.flush()
        self._plain_lines += 1

    def close(self) -> None:
        """End the live line; a last plain line when plain lines were written and more was
        done since the last one."""
        if self.live is not None and self._done:
            self._draw_live()
        if self.live is not None and self._width:
            self.live.write("\n")
            self.live.flush()
            self._width = 0
        wrote = self.plain is not None and self._plain_lines
        if wrote and self._samples and self._samples[-1][0] > self._last_plain:
            self._write_plain()
