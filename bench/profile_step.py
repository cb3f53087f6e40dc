"""A small torch.profiler summary of training steps: device time vs gaps, host syncs, top ops.

Profiles ``--steps`` steps after ``--warmup`` of the bench_train.py trainer and writes a short
JSON (not a trace): the profiled wall time, the summed kernel time and how much of the wall it
covers (the rest are gaps: launch and host overhead), kernel launches per step, host-sync calls
per step (``aten::_local_scalar_dense``, which every ``.item()`` / ``bool(tensor)`` runs, and
the CUDA synchronize / blocking-copy calls, the window's own final synchronize excluded) with
the ops they come from (on a CPU, fused Adam reads its step counters with ``.item()``: no
device to wait for), graph launches, and the top ops by self device time (self CPU time on a
CPU).

    python bench/profile_step.py --device cuda --batch-size 16 --precision bf16
    python bench/profile_step.py --device cuda --batch-size 16 --precision bf16 --graphs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, machine, write_result  # noqa: E402
from bench_train import make_trainer, synthetic_dataset  # noqa: E402
from zi2zi_core.device import synchronize  # noqa: E402
from zi2zi_core.training.graph_step import WARMUP_STEPS  # noqa: E402

SYNC_CALLS = (
    "aten::_local_scalar_dense",
    "cudaStreamSynchronize",
    "cudaDeviceSynchronize",
    "cudaEventSynchronize",
    "cudaMemcpy",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--glyph-px", type=int, default=256)
    parser.add_argument("--base-channels", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--graphs", action="store_true", help="--cuda-graphs")
    parser.add_argument("--compile", action="store_true", help="--compile")
    parser.add_argument("--steps", type=int, default=10, help="profiled steps [10]")
    parser.add_argument("--warmup", type=int, default=5, help="steps before [5]")
    parser.add_argument("--top", type=int, default=12, help="ops listed [12]")
    parser.add_argument(
        "--name", help="result name under bench/results (the machine is appended) [profile]"
    )
    parser.add_argument("--out", help="result JSON path (overrides --name)")
    return parser.parse_args()


def sync_sources(prof, steps: int) -> dict[str, float]:
    """Per step, where the host-sync calls come from: their enclosing ops (innermost first)."""
    found: dict[str, int] = {}
    for event in prof.events():
        if event.name not in SYNC_CALLS:
            continue
        chain, parent = [], event.cpu_parent
        while parent is not None and len(chain) < 3:
            chain.append(parent.name)
            parent = parent.cpu_parent
        key = " < ".join([event.name, *chain])
        found[key] = found.get(key, 0) + 1
    return {k: v / steps for k, v in sorted(found.items(), key=lambda kv: -kv[1])}


def summarize(prof, wall_s: float, steps: int, cuda: bool, top: int) -> dict:
    """Kernel time vs wall, launches, syncs and top ops, per step."""
    rows = prof.key_averages()
    counts = {r.key: r.count for r in rows}
    self_device = {r.key: getattr(r, "self_device_time_total", 0.0) for r in rows}
    kernels = [e for e in prof.events() if cuda and e.device_type == torch.autograd.DeviceType.CUDA]
    kernel_s = sum(e.device_time for e in kernels) / 1e6 if cuda else None
    syncs = {name: counts.get(name, 0) for name in SYNC_CALLS}
    if cuda:
        syncs["cudaDeviceSynchronize"] -= 1  # the window's own final synchronize
    if cuda:
        ranked = sorted(self_device, key=self_device.get, reverse=True)
        top_ops = [{"op": k, "self_device_ms": round(self_device[k] / 1e3, 3)} for k in ranked]
    else:
        ranked = sorted(rows, key=lambda r: r.self_cpu_time_total, reverse=True)
        top_ops = [
            {"op": r.key, "self_cpu_ms": round(r.self_cpu_time_total / 1e3, 3)} for r in ranked
        ]
    return {
        "sync_sources": sync_sources(prof, steps),
        "profiled_steps": steps,
        "wall_ms_per_step": round(1e3 * wall_s / steps, 3),
        "kernel_ms_per_step": round(1e3 * kernel_s / steps, 3) if cuda else None,
        "kernel_share_of_wall": round(kernel_s / wall_s, 4) if cuda else None,
        "kernels_per_step": round(len(kernels) / steps, 1) if cuda else None,
        "graph_launches_per_step": counts.get("cudaGraphLaunch", 0) / steps,
        "host_syncs_per_step": {k: v / steps for k, v in syncs.items()},
        "top_ops": top_ops[:top],
    }


def profile_figures(label: str, summary: dict) -> dict:
    """Headline figures: wall per step, GPU busy share, host syncs per step."""
    figures = {f"{label} wall ms/step (profiled)": figure([summary["wall_ms_per_step"]], "ms")}
    if summary["kernel_share_of_wall"] is not None:
        share = 100 * summary["kernel_share_of_wall"]
        figures[f"{label} kernel time"] = figure([share], "% of wall", 1)
        figures[f"{label} kernels"] = figure([summary["kernels_per_step"]], "per step", 1)
    syncs = sum(summary["host_syncs_per_step"].values())
    figures[f"{label} host syncs"] = figure([syncs], "per step", 1)
    return figures


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = synthetic_dataset(Path(tmp) / "data", args.glyph_px, args.batch_size * 4 + 16)
        trainer = make_trainer(
            data,
            Path(tmp) / "run",
            args.device,
            {"base_channels": args.base_channels},
            batch_size=args.batch_size,
            precision=args.precision,
            compile=args.compile,
            cuda_graphs=args.graphs,
        )
        dev = trainer.device
        cuda = dev.type == "cuda"
        warmup = max(args.warmup, WARMUP_STEPS + 1) if args.graphs else args.warmup
        for _ in range(warmup):
            trainer.train_step()
        synchronize(dev)
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        with profile(activities=activities) as prof:
            t0 = time.perf_counter()
            for _ in range(args.steps):
                trainer.train_step()
            synchronize(dev)
            wall = time.perf_counter() - t0
        trainer.sampler.close()
    summary = summarize(prof, wall, args.steps, cuda, args.top)
    label = f"b{args.batch_size} {trainer.precision}" + (" graphs" if args.graphs else "")
    label += " compiled" if args.compile else ""
    print(
        f"{label}: {summary['wall_ms_per_step']} ms/step wall, kernels "
        f"{summary['kernel_ms_per_step']} ms, syncs {summary['host_syncs_per_step']}",
        file=sys.stderr,
    )
    out = write_result(
        args.name or "profile",
        {
            "benchmark": "profile-step",
            "machine": machine() | {"torch": torch.__version__},
            "device": torch.cuda.get_device_name(dev) if cuda else "cpu",
            "case": label,
            "model": {"glyph_px": args.glyph_px, "base_channels": args.base_channels},
            "note": "profiler overhead inflates wall time; compare shares, not absolute speed",
            **summary,
            "figures": profile_figures(label, summary),
        },
        args.out,
    )
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
