"""Training speed of ``zi2zi train``: images/s and the split of a step into data, forward,
backward and optimizer time, for batch sizes x precisions x torch.compile x CUDA graphs.

The model is the default 256 px zi2zi (base_channels 64) unless overridden; the data are
synthetic stroke glyphs written as real shards and read through the trainer's own data path.
A step is what the trainer runs: ``g_steps_per_d`` (2) generator updates and one
discriminator update plus the EMA update.

Two timings per case: images/s from un-instrumented steps (one device sync at the end), and
the per-phase split from separate steps with a device sync at each phase boundary (under
``--graphs on`` the G/D phases are one replayed graph: the split is data / graph step / EMA).
``--mfu`` adds model FLOPs utilization (bench/_mfu.py): FLOPs per image counted on one eager
step, the chip's peak from a dense matmul timed in this process, MFU per case.

    python bench/bench_train.py                      # GPU: batch 16,64 x fp32,bf16 x eager,compiled
    python bench/bench_train.py --device cpu         # CPU: batch 16 fp32 eager, 2 steps (slow)
    python bench/bench_train.py --batch-sizes 16 --precisions bf16 --compile on --steps 20
    python bench/bench_train.py --graphs on --precisions bf16 --mfu   # CUDA graphs, with MFU

``--repeats N`` times the block of ``--steps`` steps N times; images/s is the median block.
Writes bench/results/train-<machine>.json (or --name / --out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, machine, write_result  # noqa: E402
from _mfu import mfu, peak_matmul, step_flops  # noqa: E402
from glyphrender.dataset.manifest import SCHEMA_VERSION  # noqa: E402
from glyphrender.dataset.shard_writer import ShardWriter  # noqa: E402
from glyphrender.dataset.shards import GlyphBatch, write_manifest  # noqa: E402
from zi2zi_core.device import pick_device  # noqa: E402
from zi2zi_core.training.config import resolve_run_config  # noqa: E402
from zi2zi_core.training.graph_step import WARMUP_STEPS  # noqa: E402
from zi2zi_core.training.trainer import PhaseTimer, Trainer  # noqa: E402

PHASES = {
    "data": ("data",),
    "forward": ("g_forward", "d_forward"),
    "backward": ("g_backward", "d_backward"),
    "optimizer": ("g_optimizer", "d_optimizer", "ema"),
    "graph_step": ("step",),  # --graphs on: forwards, backwards and optimizers in one replay
}


def synthetic_dataset(root: Path, px: int, count: int, seed: int = 0) -> Path:
    """Random strokes as sources, their 3x3 dilation as targets, written as real shards."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    source = np.zeros((count, px, px), np.uint8)
    w = max(1, px // 16)
    for img in source:
        for _ in range(6):
            a, b = sorted(rng.integers(px // 8, px - px // 8, 2))
            c = int(rng.integers(px // 8, px - px // 8))
            if rng.random() < 0.5:
                img[c : c + w, a:b] = 255
            else:
                img[a:b, c : c + w] = 255
    padded = np.pad(source, ((0, 0), (1, 1), (1, 1)))
    target = np.max(
        [padded[:, dy : dy + px, dx : dx + px] for dy in range(3) for dx in range(3)], axis=0
    )
    splits = {}
    for split, sl in (("train", slice(0, count - 16)), ("val", slice(count - 16, count))):
        writer = ShardWriter(root, split, shard_size=256)
        n = len(source[sl])
        writer.add(
            GlyphBatch(
                source[sl],
                target[sl],
                np.arange(n, dtype=np.uint32) + 0x4E00,
                np.zeros(n, np.uint16),
            )
        )
        splits[split] = {"count": n, "shards": writer.close()}
    fonts = [
        {"role": "source", "style_id": None, "path": "synthetic", "sha256": "0" * 64},
        {"role": "target", "style_id": 0, "path": "synthetic-dilated", "sha256": "1" * 64},
    ]
    write_manifest(
        root,
        {"schema_version": SCHEMA_VERSION, "glyph_px": px, "fonts": fonts, "splits": splits},
    )
    return root


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def make_trainer(data: Path, run: Path, device: str, model: dict, **train) -> Trainer:
    """A trainer on ``data`` as ``zi2zi train`` builds it, without logs (train settings as
    keywords: batch_size, precision, compile, compile_mode, cuda_graphs...).

    ``cuda_graphs`` off CUDA (a CPU rehearsal of the GPU plan) runs the graph step's body
    eagerly: everything but the capture, so the plan's code paths run before a GPU is spent."""
    from glyphrender.dataset.shards import Dataset

    rehearse_graphs = bool(train.get("cuda_graphs")) and pick_device(device).type != "cuda"
    if rehearse_graphs:
        train = {**train, "cuda_graphs": False}

    ds = Dataset.open(data)
    flags = {
        "model": dict(model),
        "loss": {},
        "train": {
            "shards": str(data),
            "run_dir": str(run),
            "device": device,
            "steps": 10**9,
            **train,
        },
    }
    cfg = resolve_run_config(
        flags=flags, file_layer=None, dataset_glyph_px=ds.glyph_px, dataset_num_styles=1
    )
    trainer = Trainer(cfg, run, write_logs=False)
    if rehearse_graphs:
        print(
            "  (no CUDA: the graph step's body runs eagerly, nothing is captured)", file=sys.stderr
        )
        trainer.use_graph_step(capture=False)
    return trainer


def count_flops(data: Path, run: Path, device: str, model: dict, batch: int) -> dict:
    """FLOPs per image of one eager step at ``batch`` (fp32: autocast does not change them)."""
    trainer = make_trainer(data, run, device, model, batch_size=batch, precision="fp32")
    trainer.train_step()  # the first step builds optimizer state; count the second
    flops = step_flops(trainer)
    trainer.sampler.close()
    return {"step_flops": flops, "batch_size": batch, "flops_per_image": flops / batch}


def phase_split(trainer, steps: int, graphs: bool) -> dict[str, float]:
    """Seconds per step of each phase in PHASES, from ``steps`` more steps under a PhaseTimer
    (a separate pass: its syncs would slow the timed blocks)."""
    trainer.timer = PhaseTimer(trainer.device)
    for _ in range(steps):
        trainer.train_step()
    split = {
        name: sum(trainer.timer.totals.get(p, 0.0) for p in parts) / steps
        for name, parts in PHASES.items()
    }
    split = {k: v for k, v in split.items() if v > 0 or k == "data"}
    if graphs:  # the optimizers run inside the graph: what is left of "optimizer" is the EMA
        split["ema"] = split.pop("optimizer", 0.0)
    return split


def bench_case(
    data: Path,
    run: Path,
    device: str,
    batch: int,
    precision: str,
    compiled: bool,
    steps: int,
    warmup: int,
    model: dict,
    repeats: int = 1,
    graphs: bool = False,
    compile_mode: str = "default",
    channels_last: bool = False,
) -> dict:
    trainer = make_trainer(
        data,
        run,
        device,
        model,
        batch_size=batch,
        precision=precision,
        compile=compiled,
        compile_mode=compile_mode,
        cuda_graphs=graphs,
        channels_last=channels_last,
    )
    cfg = trainer.config
    if graphs:  # the timed steps must be replays, not warm-up or capture
        warmup = max(warmup, WARMUP_STEPS + 1)
    dev = trainer.device
    t0 = time.perf_counter()
    for _ in range(warmup):
        trainer.train_step()
    sync(dev)
    warmup_s = time.perf_counter() - t0
    block_s = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        sync(dev)
        block_s.append((time.perf_counter() - t0) / steps)
    step_s = statistics.median(block_s)
    split = phase_split(trainer, steps, graphs)
    instrumented = sum(split.values())
    trainer.sampler.close()
    result = {
        "batch_size": batch,
        "precision": trainer.precision,
        "compile": compiled,
        "compile_mode": compile_mode if compiled else None,
        "cuda_graphs": graphs,
        "channels_last": cfg.train.channels_last,
        "g_norm": cfg.model.g_norm.value,
        "timed_steps": steps,
        "warmup_steps": warmup,
        "warmup_s": round(warmup_s, 3),
        "repeats": repeats,
        "step_s": round(step_s, 4),
        "step_s_all": [round(t, 4) for t in block_s],
        "images_per_s": round(batch / step_s, 2),
        "images_per_s_all": [round(batch / t, 2) for t in block_s],
        "phase_s": {k: round(v, 5) for k, v in split.items()},
        "phase_share": {k: round(v / instrumented, 4) for k, v in split.items()},
        "data_mode": trainer.sampler.mode,
    }
    if dev.type == "cuda":
        peak = torch.cuda.max_memory_allocated(dev)
        result["peak_memory_gib"] = round(peak / 2**30, 2)
        result["peak_memory_mib"] = round(peak / 2**20, 1)
        torch.cuda.reset_peak_memory_stats(dev)
    del trainer
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--glyph-px", type=int, default=256)
    parser.add_argument("--base-channels", type=int, default=64)
    parser.add_argument("--batch-sizes", help="comma list [GPU 16,64; CPU 16]")
    parser.add_argument("--precisions", help="comma list of fp32,bf16 [GPU both; CPU fp32]")
    parser.add_argument("--compile", choices=("off", "on", "both"), help="[GPU both; CPU off]")
    parser.add_argument("--compile-mode", default="default", help="torch.compile mode [default]")
    parser.add_argument(
        "--graphs", choices=("off", "on", "both"), default="off", help="CUDA graphs [off]"
    )
    parser.add_argument("--channels-last", action="store_true", help="channels-last layout")
    parser.add_argument("--mfu", action="store_true", help="count FLOPs, time the peak, add MFU")
    parser.add_argument("--steps", type=int, help="timed steps per case [GPU 20; CPU 2]")
    parser.add_argument("--warmup", type=int, help="untimed steps first [GPU 5; CPU 1]")
    parser.add_argument("--repeats", type=int, default=1, help="timed blocks per case [1]")
    parser.add_argument(
        "--name", help="result name under bench/results (the machine is appended) [train]"
    )
    parser.add_argument("--out", help="result JSON path (overrides --name)")
    return parser.parse_args()


def case_label(px: int, channels: int, r: dict) -> str:
    tags = [f"{px}px/{channels}ch b{r['batch_size']} {r['precision']}"]
    if r["compile"]:
        tags.append(
            "compiled" if r["compile_mode"] == "default" else f"compiled {r['compile_mode']}"
        )
    if r["cuda_graphs"]:
        tags.append("graphs")
    if r["channels_last"]:
        tags.append("channels-last")
    return " ".join(tags)


def case_figures(px: int, channels: int, results: list[dict]) -> dict:
    """images/s per case, and MFU (%) per case when it was measured."""
    figures = {}
    for r in results:
        label = case_label(px, channels, r)
        images = [r["batch_size"] / t for t in r["step_s_all"]]
        figures[f"{label} images/s"] = figure(images, "images/s")
        figures[f"{label} data share"] = figure([100 * r["phase_share"]["data"]], "% of step", 3)
        if "mfu" in r:
            per_image, peak = (
                r["mfu_inputs"]["flops_per_image"],
                r["mfu_inputs"]["peak_flops_per_s"],
            )
            figures[f"{label} MFU"] = figure(
                [100 * mfu(i, per_image, peak) for i in images], "% MFU", 3
            )
    return figures


def measure_mfu_inputs(args, data: Path, run: Path, device: torch.device, batch: int) -> dict:
    """FLOPs per image (one counted eager step) and the peak matmul, in this process."""
    model = {"base_channels": args.base_channels}
    counted = count_flops(data, run, str(device), model, batch)
    peak = peak_matmul(device)
    print(
        f"  {counted['flops_per_image'] / 1e9:.2f} GFLOP/image, peak "
        f"{peak['flops_per_s'] / 1e12:.1f} TFLOP/s ({peak['matmul']})",
        file=sys.stderr,
    )
    return {**counted, "peak_flops_per_s": peak["flops_per_s"], "peak": peak}


def write_train_result(
    args, device, dev_info: dict, model: dict, load_before, mfu_inputs, results: list[dict]
) -> Path:
    """The result file with the cases measured so far (rewritten after each case)."""
    return write_result(
        args.name or "train",
        {
            "benchmark": "train",
            "machine": machine() | {"torch": torch.__version__},
            "device": dev_info,
            # other processes on the machine skew CPU numbers; the 1-min load average says how much
            "load_average_1min": {
                "before": round(load_before[0], 2),
                "after": round(os.getloadavg()[0], 2),
            },
            "model": {"glyph_px": args.glyph_px, **model},
            "statistic": "per block: mean over its timed steps after warm-up; images/s: "
            "median block; phase split from separate steps synchronized at each phase boundary",
            **({"mfu": mfu_inputs} if mfu_inputs is not None else {}),
            "results": results,
            # bench_case resets the peak after each case, so the suite's CUDA peak is theirs
            **(
                {"cuda_peak_mib": max(r["peak_memory_mib"] for r in results)}
                if device.type == "cuda"
                else {}
            ),
            "figures": case_figures(args.glyph_px, args.base_channels, results),
        },
        args.out,
    )


def main() -> None:
    args = parse_args()
    device = pick_device(args.device)
    gpu = device.type != "cpu"
    batches = [int(b) for b in (args.batch_sizes or ("16,64" if gpu else "16")).split(",")]
    precisions = (args.precisions or ("fp32,bf16" if gpu else "fp32")).split(",")
    compile_mode = args.compile or ("both" if gpu else "off")
    choices = {"off": [False], "on": [True], "both": [False, True]}
    compiles, graph_modes = choices[compile_mode], choices[args.graphs]
    steps = args.steps or (20 if gpu else 2)
    warmup = args.warmup or (5 if gpu else 1)
    model = {"base_channels": args.base_channels}

    dev_info = {"type": device.type, "torch_threads": torch.get_num_threads()}
    if device.type == "cuda":
        dev_info["name"] = torch.cuda.get_device_name(device)
    results = []
    mfu_inputs = None
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data = synthetic_dataset(Path(tmp) / "data", args.glyph_px, max(batches) * 4 + 16)
        if args.mfu:
            mfu_inputs = measure_mfu_inputs(args, data, Path(tmp) / "flops", device, batches[0])
        for graphs in graph_modes:
            for compiled in compiles:
                for precision in precisions:
                    for batch in batches:
                        print(
                            f"batch {batch} {precision} compile={compiled} graphs={graphs} ...",
                            file=sys.stderr,
                        )
                        r = bench_case(
                            data,
                            Path(tmp) / "run",
                            str(device),
                            batch,
                            precision,
                            compiled,
                            steps,
                            warmup,
                            model,
                            args.repeats,
                            graphs=graphs,
                            compile_mode=args.compile_mode,
                            channels_last=args.channels_last,
                        )
                        if mfu_inputs is not None:
                            r["mfu"] = round(
                                mfu(
                                    r["images_per_s"],
                                    mfu_inputs["flops_per_image"],
                                    mfu_inputs["peak_flops_per_s"],
                                ),
                                5,
                            )
                            r["mfu_inputs"] = {
                                k: mfu_inputs[k] for k in ("flops_per_image", "peak_flops_per_s")
                            }
                        print(
                            f"  {r['images_per_s']} img/s, step {r['step_s']} s, "
                            f"{r['phase_share']}" + (f", MFU {r['mfu']:.2%}" if "mfu" in r else ""),
                            file=sys.stderr,
                        )
                        results.append(r)
                        # after every case: a run killed at its time limit keeps the cases done
                        out = write_train_result(
                            args, device, dev_info, model, load_before, mfu_inputs, results
                        )
    print(out)


if __name__ == "__main__":
    main()
