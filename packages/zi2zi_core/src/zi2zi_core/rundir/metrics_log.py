"""``metrics.jsonl``: the run's append-only log, and its one reader.

Each line is one JSON object with a ``kind``: ``train`` (per tick: losses averaged over the
tick, lr, images/s), ``val`` (validation metrics of the EMA generator), ``baseline``
(copy-the-source metrics on the val split, once per run), ``event`` (resume, nan_rollback,
interrupted, ...). Lines are appended and flushed one by one, so a killed run keeps its
history; a last line cut short by a crash is skipped by the reader and dropped on resume.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any, TextIO

from glyphrender.atomic import write_text_atomic

from zi2zi_core.rundir.layout import RunDir


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Inf; keep them visible as strings
    return value


def read_metrics_file(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of a metrics.jsonl file ([] when absent); lines that are not a whole JSON
    object (cut short by a crash, or a run still writing) are skipped."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def read_metrics(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of ``RUN/metrics.jsonl`` (see :func:`read_metrics_file`)."""
    return read_metrics_file(RunDir(run_dir).metrics_log)


class MetricsLog:
    """Appends one JSON object per line and flushes, so a killed run keeps its history."""

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.path = RunDir(run_dir).metrics_log
        self._file: TextIO | None = None

    def truncate_after(self, step: int) -> None:
        """Drop records of steps after ``step`` (written by a run that was then resumed from
        an earlier checkpoint) and any cut-short line, so the log reads as one run."""
        if not self.path.is_file():
            return
        kept = [r for r in read_metrics_file(self.path) if r.get("step", 0) <= step]
        text = "".join(json.dumps(r, sort_keys=False) + "\n" for r in kept)
        write_text_atomic(self.path, text, "the metrics log", durable=True)

    def write(self, kind: str, step: int, **fields: Any) -> dict[str, Any]:
        record = {"kind": kind, "step": step, "time": round(time.time(), 3)}
        record.update({k: _clean(v) for k, v in fields.items()})
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
                self._end_cut_short_line()
            self._file.write(json.dumps(record, sort_keys=False) + "\n")
            self._file.flush()
        except OSError as exc:  # e.g. a full disk: name the log; a cut-short line is ended later
            self._drop_file()
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        return record

    def _drop_file(self) -> None:
        """Forget the open file after a failed write (closing it would retry the write)."""
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()

    def _end_cut_short_line(self) -> None:
        """A crash mid-line leaves no newline: start on a fresh line so this record survives."""
        assert self._file is not None
        if self._file.tell() > 0:
            with open(self.path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    self._file.write("\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
