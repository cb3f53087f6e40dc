"""The run directory's layout: every file name and pattern a run holds, in one place.

::

    RUN/config.json  config.toml      the resolved run config (JSON, and TOML for --config)
    RUN/train-pick.json               the few-shot pick (``--train-limit``): characters per style
    RUN/metrics.jsonl                 one JSON record per line (train ticks, val, events)
    RUN/checkpoints/ckpt-XXXXXXXX.pt  the last K step checkpoints
    RUN/checkpoints/best.pt           the best one by the best metric
    RUN/samples/step-XXXXXXX.png      sample grids (source | generated | target)
    RUN/eval/LABEL/                   ``zi2zi eval`` reports
    RUN/tensorboard/                  TensorBoard events (when installed)
    RUN/train.log  sweep-run.toml     written by ``zi2zi sweep`` for each of its runs
    RUN/.lock                         the lock of the ``zi2zi train`` writing it (its PID;
                                      ``glyphrender.outputs.folder_lock``)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CHECKPOINT_RE = re.compile(r"ckpt-(\d{8,})\.pt")


@dataclass(frozen=True)
class RunDir:
    """A run directory and the paths of what it holds (nothing is created here)."""

    path: Path

    CONFIG_JSON = "config.json"
    CONFIG_TOML = "config.toml"
    METRICS_LOG = "metrics.jsonl"
    CHECKPOINTS = "checkpoints"
    BEST = "best.pt"
    SAMPLES = "samples"
    EVAL = "eval"
    TENSORBOARD = "tensorboard"
    TRAIN_LOG = "train.log"
    SWEEP_RUN_TOML = "sweep-run.toml"
    TRAIN_PICK = "train-pick.json"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "path", Path(path))

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    @property
    def config_json(self) -> Path:
        return self.path / self.CONFIG_JSON

    @property
    def config_toml(self) -> Path:
        return self.path / self.CONFIG_TOML

    @property
    def train_pick(self) -> Path:
        return self.path / self.TRAIN_PICK

    @property
    def metrics_log(self) -> Path:
        return self.path / self.METRICS_LOG

    @property
    def checkpoints(self) -> Path:
        return self.path / self.CHECKPOINTS

    @property
    def best_checkpoint(self) -> Path:
        return self.checkpoints / self.BEST

    @property
    def tensorboard(self) -> Path:
        return self.path / self.TENSORBOARD

    @property
    def train_log(self) -> Path:
        return self.path / self.TRAIN_LOG

    @property
    def sweep_run_toml(self) -> Path:
        return self.path / self.SWEEP_RUN_TOML

    def checkpoint(self, step: int) -> Path:
        return self.checkpoints / f"ckpt-{step:08d}.pt"

    def sample(self, step: int) -> Path:
        return self.path / self.SAMPLES / f"step-{step:07d}.png"

    def eval_dir(self, label: str) -> Path:
        return self.path / self.EVAL / label

    def eval_report_dir(self, checkpoint: str, split: str) -> Path:
        """Where ``zi2zi eval --checkpoint CHECKPOINT --split SPLIT`` writes by default
        (``checkpoint``: ``best``, ``last`` or a checkpoint file's stem)."""
        return self.eval_dir(f"{checkpoint}-{split}")

    def step_checkpoints(self) -> list[tuple[int, Path]]:
        """(step, path) of the step checkpoints, oldest first (``best.pt`` excluded)."""
        if not self.checkpoints.is_dir():
            return []
        found = [
            (int(m.group(1)), p)
            for p in self.checkpoints.iterdir()
            if (m := CHECKPOINT_RE.fullmatch(p.name))
        ]
        return sorted(found)
