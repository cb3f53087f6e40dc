"""Few-shot training: train on only N of each style's train characters (``--train-limit``).

The N characters of each style are picked by :func:`glyphrender.dataset.fewshot.pick_train_chars`
(rule ``spread`` or ``common``, seeded) from that style's train characters; the val split is
never touched. The pick is fixed for the life of a run: it is recorded in
``RUN/train-pick.json`` (rule, N, seed, the code points per style and their sha256) and a
``--resume`` whose pick differs is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from glyphrender.atomic import write_text_atomic
from glyphrender.dataset.fewshot import pick_record, pick_train_chars
from glyphrender.dataset.shards import Dataset

from zi2zi_core.errors import ConfigError
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.training.config import TrainConfig, default_of


@dataclass(frozen=True)
class TrainPick:
    """The train rows a few-shot run trains on, and what the run records about them."""

    rows: np.ndarray  # positions in the dataset's train split, ascending
    total: int  # rows in the train split
    limit: int
    rule: str
    seed: int
    styles: dict[int, dict[str, Any]]  # style id -> glyphrender.dataset.fewshot.pick_record

    @property
    def sha256(self) -> str:
        """One digest of every style's pick (what ``--resume`` compares)."""
        text = json.dumps({str(s): r["sha256"] for s, r in sorted(self.styles.items())})
        return hashlib.sha256(text.encode()).hexdigest()

    def record(self) -> dict[str, Any]:
        """The content of ``RUN/train-pick.json``."""
        return {
            "train_limit": self.limit,
            "train_pick": self.rule,
            "train_pick_seed": self.seed,
            "train_rows": len(self.rows),
            "train_total": self.total,
            "sha256": self.sha256,
            "styles": {str(s): r for s, r in sorted(self.styles.items())},
        }

    def describe(self) -> str:
        """The start line, e.g. ``few-shot: 300 of 6,016 train characters (spread, seed 0)``."""
        per_style = " per style" if len(self.styles) > 1 else ""
        return (
            f"few-shot: {len(self.rows):,} of {self.total:,} train characters "
            f"({self.limit:,}{per_style} by rule {self.rule}, seed {self.seed}; val untouched; "
            f"recorded in {RunDir.TRAIN_PICK})"
        )


def train_keys(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(code point, style) of every row of the train split, in split order."""
    codepoints, styles = [], []
    for shard in dataset.iter_shards("train"):
        codepoints.append(np.asarray(shard.codepoint, dtype=np.int64))
        styles.append(np.asarray(shard.style, dtype=np.int64))
    if not codepoints:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(codepoints), np.concatenate(styles)


def select_train(dataset: Dataset, limit: int, rule: str, seed: int) -> TrainPick | None:
    """The rows of ``limit`` characters per style (None when ``limit`` is 0: every row).

    A style with ``limit`` or fewer train characters keeps them all.
    """
    if limit <= 0:
        return None
    codepoints, styles = train_keys(dataset)
    keep = np.zeros(len(codepoints), dtype=bool)
    records = {}
    for style in sorted(set(styles.tolist())):
        mine = styles == style
        picked = pick_train_chars(codepoints[mine].tolist(), limit, seed, rule)
        records[style] = pick_record(picked, limit, seed, rule)
        keep |= mine & np.isin(codepoints, np.asarray(picked, dtype=np.int64))
    rows = np.flatnonzero(keep)
    return TrainPick(rows, len(codepoints), limit, rule, seed, records)


def check_resume_pick(
    run_dir: Path, saved_train: dict[str, Any], train: TrainConfig, pick: TrainPick | None
) -> None:
    """ConfigError (one line) when a resumed run would train on other characters.

    ``saved_train`` is the checkpoint's train section, ``train`` the resolved TrainConfig and
    ``pick`` its selection; the recorded ``train-pick.json`` (when present) must match too,
    which catches a dataset that changed under the same settings.
    """
    keys = ("train_limit", "train_pick", "train_pick_seed")
    saved = {key: saved_train.get(key, default_of(key)) for key in keys}  # older runs: defaults
    changed = [
        f"{key} {saved[key]!r} -> {getattr(train, key)!r}"
        for key in keys
        if saved[key] != getattr(train, key)
    ]
    recorded = RunDir(run_dir).train_pick
    if not changed and pick is not None and recorded.is_file():
        try:
            saved_sha = json.loads(recorded.read_text(encoding="utf-8")).get("sha256")
        except (OSError, ValueError, AttributeError):
            saved_sha = None
        if saved_sha != pick.sha256:
            changed.append(f"the characters picked differ from {recorded.name}")
    if changed:
        raise ConfigError(
            f"{run_dir}: --resume cannot change the few-shot pick ({'; '.join(changed)}); "
            "start a new --run"
        )


def write_pick_record(run_dir: Path, pick: TrainPick) -> Path:
    """Write ``RUN/train-pick.json`` (atomically) and return its path."""
    path = RunDir(run_dir).train_pick
    text = json.dumps(pick.record(), indent=1) + "\n"
    write_text_atomic(path, text, "the few-shot pick record")
    return path
