"""Run logs: ``metrics.jsonl`` (always), TensorBoard events (when installed), a progress line.

Each ``metrics.jsonl`` line is one JSON object with a ``kind``: ``train`` (per tick: losses
averaged over the tick, lr, images/s), ``val`` (validation metrics of the EMA generator),
``baseline`` (copy-the-source metrics on the val split, once per run), ``event`` (resume,
nan_skip, nan_rollback, interrupted, ...).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

METRICS_NAME = "metrics.jsonl"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Inf; keep them visible as strings
    return value


class MetricsLog:
    """Appends one JSON object per line and flushes, so a killed run keeps its history."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / METRICS_NAME
        self._file: TextIO | None = None

    def truncate_after(self, step: int) -> None:
        """Drop records of steps after ``step`` (written by a run that was then resumed from
        an earlier checkpoint), so the log reads as one continuous run."""
        if not self.path.is_file():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    kept.append(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
        tmp = self.path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
        os.replace(tmp, self.path)

    def write(self, kind: str, step: int, **fields: Any) -> dict[str, Any]:
        record = {"kind": kind, "step": step, "time": round(time.time(), 3)}
        record.update({k: _clean(v) for k, v in fields.items()})
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        self._file.write(json.dumps(record, sort_keys=False) + "\n")
        self._file.flush()
        return record

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / METRICS_NAME
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


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
        self.writer = SummaryWriter(str(Path(run_dir) / "tensorboard"))

    @property
    def available(self) -> bool:
        return self.writer is not None

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
