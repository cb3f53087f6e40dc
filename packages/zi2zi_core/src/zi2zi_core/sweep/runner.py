"""Running a sweep: each run is its own ``zi2zi train`` process with a per-run config TOML,
skipped when finished and resumed when it has a checkpoint (see :mod:`.grid` for the runs)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from glyphrender.atomic import write_text_atomic

from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.sweep.grid import GRID_JSON, RUNS_DIR, Grid, SweepRun, run_sections
from zi2zi_core.training.config import to_toml


def checkpoint_step(run_dir: Path) -> int:
    """Step of the newest step checkpoint of a run (0 when none)."""
    found = RunDir(run_dir).step_checkpoints()
    return found[-1][0] if found else 0


def run_state(run_dir: Path, steps: int) -> str:
    """``finished`` (a checkpoint at >= steps), ``partial`` (some checkpoint) or ``new``."""
    done = checkpoint_step(run_dir)
    if done >= steps:
        return "finished"
    return "partial" if done > 0 else "new"


def train_command(
    shards: Path, run_dir: Path, config_path: Path, device: str, resume: bool
) -> list[str]:
    """The ``zi2zi train`` invocation of one sweep run (the current interpreter)."""
    cmd = [
        sys.executable,
        "-m",
        "zi2zi_core.cli.train",
        "--shards",
        str(shards),
        "--run",
        str(run_dir),
        "--config",
        str(config_path),
        "--device",
        device,
    ]
    return cmd + (["--resume"] if resume else [])


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)


def write_grid_record(
    out: Path, grid: Grid, shards: Path, steps: int, jobs: dict[str, object] | None = None
) -> None:
    """``OUT/sweep.json``: what was asked (the grid's runs with their settings) and how many
    ran at once on which devices (``jobs``, see :class:`.jobs.JobPlan`)."""
    record = {
        "grid": grid.source,
        "shards": str(shards),
        "steps": steps,
        "jobs": jobs,
        "runs": [
            {"name": r.name, "labels": r.labels, "config": run_sections(r, steps)}
            for r in grid.runs
        ],
    }
    write_atomic(out / GRID_JSON, json.dumps(record, indent=2) + "\n")


@dataclass(frozen=True)
class Launch:
    """A run about to train: its directory, its config file and whether it resumes."""

    run: SweepRun
    run_dir: Path
    config_path: Path
    resume: bool

    def command(self, shards: Path, device: str) -> list[str]:
        return train_command(shards, self.run_dir, self.config_path, device, self.resume)


def prepare_launch(run: SweepRun, *, out: Path, steps: int) -> Launch | None:
    """Write the run's config file and clear a never-checkpointed run's stale logs; None
    when the run is already finished (skipped)."""
    run_dir = out / RUNS_DIR / run.name
    state = run_state(run_dir, steps)
    if state == "finished":
        return None
    config_path = RunDir(run_dir).sweep_run_toml
    write_atomic(config_path, to_toml(run_sections(run, steps)))
    if state == "new":
        # A run killed before its first checkpoint left a log of steps that will be redone.
        for stale in (RunDir(run_dir).metrics_log, RunDir(run_dir).train_log):
            stale.unlink(missing_ok=True)
    return Launch(run, run_dir, config_path, resume=state == "partial")


def last_line(path: Path) -> str:
    """The last non-empty line of a text file ("?" when unreadable or empty)."""
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        return "?"
    return lines[-1] if lines else "?"
