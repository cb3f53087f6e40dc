"""images/s inside a real ``zi2zi train`` run, read from the run's own metrics.jsonl.

The synthetic stroke shards of bench_train.py are written, then the real command line runs
(``zi2zi train`` in a child process: its data path, tick logging, validation, sample grids and
checkpoints included) for ``--steps`` steps. Each ``train`` record of metrics.jsonl carries the
tick's images/s; the first tick (warm-up: cuDNN autotuning, compilation, graph capture) is
dropped and the median of the rest is the figure, next to the synthetic bench's.

    python bench/bench_train_run.py --device cuda --batch-size 16 --steps 600 -- --cuda-graphs
    python bench/bench_train_run.py --device cpu --glyph-px 32 --base-channels 8 --steps 40

Arguments after ``--`` go to ``zi2zi train``. Writes bench/results/train-run-<machine>.json (or
--name / --out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, machine, write_result  # noqa: E402
from bench_train import synthetic_dataset  # noqa: E402
from zi2zi_core.rundir.metrics_log import read_metrics  # noqa: E402

ZI2ZI = "import sys; from zi2zi_core.cli import main; sys.exit(main())"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--glyph-px", type=int, default=256)
    parser.add_argument("--base-channels", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--steps", type=int, default=600, help="training steps [600]")
    parser.add_argument("--log-every", type=int, default=50, help="steps per tick [50]")
    parser.add_argument("--samples", type=int, default=2048, help="train pairs written [2048]")
    parser.add_argument("--timeout", type=float, default=None, help="seconds before SIGINT")
    parser.add_argument(
        "--name", help="result name under bench/results (the machine is appended) [train-run]"
    )
    parser.add_argument("--out", help="result JSON path (overrides --name)")
    parser.add_argument("train_args", nargs="*", help="after --: more zi2zi train flags")
    return parser.parse_args()


def run_train(args: argparse.Namespace, data: Path, run: Path) -> tuple[int, float, str]:
    """``zi2zi train`` in a child; SIGINT at --timeout (it checkpoints and exits 0)."""
    cmd = [sys.executable, "-c", ZI2ZI, "train", "--shards", str(data), "--run", str(run)]
    cmd += ["--device", args.device, "--base-channels", str(args.base_channels)]
    cmd += ["--batch-size", str(args.batch_size), "--precision", args.precision]
    cmd += ["--steps", str(args.steps), "--log-every", str(args.log_every), *args.train_args]
    print(" ".join(cmd[3:]), file=sys.stderr)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(2)  # SIGINT: finish the step, checkpoint, exit 0
        _, err = proc.communicate()
    return proc.returncode, time.perf_counter() - t0, err[-2000:]


def main() -> int:
    args = parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data = synthetic_dataset(Path(tmp) / "data", args.glyph_px, args.samples + 16)
        code, wall, err = run_train(args, data, Path(tmp) / "run")
        records = read_metrics(Path(tmp) / "run")
    ticks = [r for r in records if r["kind"] == "train"]
    steady = [r["images_per_s"] for r in ticks[1:]]
    if code != 0 or not steady:
        print(f"bench_train_run.py: zi2zi train exit {code}, {len(ticks)} ticks\n{err}")
        return 1
    device = "cuda" if "on cuda" in err else ("cpu" if "on cpu" in err else args.device)
    started = next((line for line in err.splitlines() if "training " in line), "")
    out = write_result(
        args.name or "train-run",
        {
            "benchmark": "train-run",
            "machine": machine(),
            "load_average_1min": {
                "before": round(load_before[0], 2),
                "after": round(os.getloadavg()[0], 2),
            },
            "command": ["zi2zi", "train", *args.train_args],
            "started": started,
            "model": {"glyph_px": args.glyph_px, "base_channels": args.base_channels},
            "batch_size": args.batch_size,
            "precision": args.precision,
            "steps_run": ticks[-1]["step"],
            "wall_s": round(wall, 1),
            "statistic": "median of the ticks' images/s (metrics.jsonl), first tick dropped",
            "ticks_images_per_s": [r["images_per_s"] for r in ticks],
            "images_per_s": round(statistics.median(steady), 2),
            "figures": {
                f"zi2zi train b{args.batch_size} {' '.join(args.train_args)} images/s".replace(
                    "  ", " "
                ): figure(steady, "images/s")
            },
        },
        args.out,
        device,
    )
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
