"""Running a sweep: each run is its own ``zi2zi train`` process with a per-run config TOML,
skipped when finished and resumed when it has a checkpoint (see :mod:`.grid` for the runs)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class RunOutcome:
    name: str
    action: str  # skipped | trained | resumed
    returncode: int
    seconds: float


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


def write_grid_record(out: Path, grid: Grid, shards: Path, steps: int) -> None:
    """``OUT/sweep.json``: what was asked (the grid's runs with their settings)."""
    record = {
        "grid": grid.source,
        "shards": str(shards),
        "steps": steps,
        "runs": [
            {"name": r.name, "labels": r.labels, "config": run_sections(r, steps)}
            for r in grid.runs
        ],
    }
    write_atomic(out / GRID_JSON, json.dumps(record, indent=2) + "\n")


def execute_run(
    run: SweepRun,
    *,
    shards: Path,
    out: Path,
    steps: int,
    device: str,
    env: dict[str, str] | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> RunOutcome:
    """Train one run to ``steps`` in its own process: skip it when finished, resume it when
    it has a checkpoint, start it fresh otherwise. The child's output goes to train.log."""
    run_dir = out / RUNS_DIR / run.name
    state = run_state(run_dir, steps)
    if state == "finished":
        say(f"{run.name}: finished earlier, skipped")
        return RunOutcome(run.name, "skipped", 0, 0.0)
    config_path = RunDir(run_dir).sweep_run_toml
    write_atomic(config_path, to_toml(run_sections(run, steps)))
    if state == "new":
        # A run killed before its first checkpoint left a log of steps that will be redone.
        for stale in (RunDir(run_dir).metrics_log, RunDir(run_dir).train_log):
            stale.unlink(missing_ok=True)
    cmd = train_command(shards, run_dir, config_path, device, resume=state == "partial")
    say(f"{run.name}: {'resuming' if state == 'partial' else 'training'} to step {steps}")
    start = time.perf_counter()
    with open(RunDir(run_dir).train_log, "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        returncode = _wait_child(cmd, log, env)
    seconds = time.perf_counter() - start
    if returncode != 0:
        last = _last_line(RunDir(run_dir).train_log)
        say(f"{run.name}: failed (exit {returncode}): {last}")
    else:
        say(f"{run.name}: done in {seconds:.0f} s")
    action = "resumed" if state == "partial" else "trained"
    return RunOutcome(run.name, action, returncode, seconds)


def _wait_child(cmd: list[str], log: Any, env: dict[str, str] | None) -> int:
    """Run the train process to its end. Ctrl-C reaches the child too (same process group)
    and SIGTERM is passed on to it: either way the child finishes its step and writes a
    checkpoint (the next sweep resumes it) and the sweep then stops with KeyboardInterrupt."""
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    stopped = False

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopped
        stopped = True
        proc.send_signal(signum)

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                returncode = proc.wait()
                break
            except KeyboardInterrupt:
                stopped = True  # wait for the child's checkpoint; a second Ctrl-C kills it
                try:
                    returncode = proc.wait()
                except KeyboardInterrupt:
                    proc.kill()
                    proc.wait()
                    raise
                break
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if stopped:
        raise KeyboardInterrupt
    return returncode


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        return "?"
    return lines[-1] if lines else "?"
