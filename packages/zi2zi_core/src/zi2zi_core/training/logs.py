"""Training's other outputs: TensorBoard events (when installed) and a progress line.

The metrics log itself (``metrics.jsonl``) is :mod:`zi2zi_core.rundir.metrics_log`.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TextIO

from zi2zi_core.rundir.layout import RunDir


class TensorBoard:
    """Scalars and images to ``RUN/tensorboard`` when the tensorboard package is installed."""

    def __init__(self, run_dir: Path, enabled: bool = True) -> None:
        self.writer = None
        if not enabled:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is an optional extra
            return
        self.writer = SummaryWriter(str(RunDir(run_dir).tensorboard))

    def scalars(self, prefix: str, step: int, values: dict[str, float]) -> None:
        if self.writer is not None:
            for k, v in values.items():
                if isinstance(v, (int, float)):
                    self.writer.add_scalar(f"{prefix}/{k}", v, step)

    def image(self, tag: str, step: int, image) -> None:
        if self.writer is not None:
            self.writer.add_image(tag, image, step, dataformats="HW")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.total = total
        self._width = 0

    def update(
        self, step: int, losses: dict[str, float], images_per_s: float, steps_per_s: float
    ) -> None:
        if not self.enabled:
            return
        parts = " ".join(f"{k} {v:.3g}" for k, v in losses.items())
        eta = (self.total - step) / steps_per_s if steps_per_s > 0 else float("inf")
        line = (
            f"step {step}/{self.total} | {parts} | {images_per_s:.1f} img/s"
            f" | ETA {format_duration(eta)}"
        )
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
