"""The files of run directories that the GPU parts pack or prune, named by ``RunDir``.

The shell scripts write no run-directory file name themselves; they ask here:

    python studies/gpu/run_files.py KIND[,KIND...] RUN...
    python studies/gpu/run_files.py KIND[,KIND...] --sweep DIR [NAME...]

print, one per line, the existing files of each KIND in each RUN (with ``--sweep``: in the runs
of the sweep folder DIR, or only those NAMEd). A RUN that is not a folder prints nothing, so an
unmatched shell glob is harmless. KINDs: config (the resolved config), metrics (the metrics
log), train-log (the log a sweep writes per run), eval (every file of each eval report),
last-sample (the newest sample grid), checkpoints (the step checkpoints and the best one).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.sweep.grid import RUNS_DIR


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _eval_files(run: RunDir) -> list[Path]:
    reports = run.path / RunDir.EVAL
    return [f for d in sorted(reports.iterdir()) for f in _files_in(d)] if reports.is_dir() else []


def _last_sample(run: RunDir) -> list[Path]:
    return _files_in(run.path / RunDir.SAMPLES)[-1:]  # step-NNNNNNN.png sorts by step


def _checkpoints(run: RunDir) -> list[Path]:
    return [path for _step, path in run.step_checkpoints()] + [run.best_checkpoint]


KINDS: dict[str, Callable[[RunDir], list[Path]]] = {
    "config": lambda run: [run.config_json],
    "metrics": lambda run: [run.metrics_log],
    "train-log": lambda run: [run.train_log],
    "eval": _eval_files,
    "last-sample": _last_sample,
    "checkpoints": _checkpoints,
}


def run_files(kinds: list[str], runs: list[Path]) -> Iterator[Path]:
    """The existing files of ``kinds`` in each of ``runs`` (folders only), run by run."""
    for path in runs:
        if path.is_dir():
            run = RunDir(path)
            for kind in kinds:
                yield from (f for f in KINDS[kind](run) if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kinds", help=f"comma-separated, of: {', '.join(KINDS)}")
    parser.add_argument("runs", nargs="*", type=Path, help="run folders (with --sweep: names)")
    parser.add_argument("--sweep", type=Path, help="a sweep folder: its runs")
    args = parser.parse_intermixed_args(argv)  # names may follow --sweep DIR (xargs)
    kinds = args.kinds.split(",")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    runs = args.runs
    if args.sweep is not None:
        root = args.sweep / RUNS_DIR
        runs = [root / name for name in runs] if runs else sorted(root.glob("*"))
    for path in run_files(kinds, runs):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
