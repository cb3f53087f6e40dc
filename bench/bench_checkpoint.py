"""Cost of the checkpoint checksum: a full 256 px training checkpoint saved and loaded.

Builds the default 256 px model (G, D, the EMA generator, both Adam optimizers with their
moment buffers filled, i.e. what ``zi2zi train`` writes every --checkpoint-every steps), then,
alternating repeat by repeat so machine load hits both alike:

- format 1 (bare): ``torch.save`` through the same durable atomic write, and
  ``torch.load(weights_only=True)`` of that file;
- format 2 (checked): ``save_checkpoint`` (sha256 computed while the payload streams out) and
  ``load_checkpoint`` (the payload hashed, then loaded);
- sha256 alone over the file's bytes (page cache warm).

    python bench/bench_checkpoint.py [--repeats 3] [--dir /tmp] [--out FILE]

Writes bench/results/checkpoint-<machine>.json (or --out).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, machine, write_result  # noqa: E402
from glyphrender.atomic import atomic_path  # noqa: E402
from zi2zi_core.models.config import ModelConfig  # noqa: E402
from zi2zi_core.models.networks import build_discriminator, build_generator  # noqa: E402
from zi2zi_core.rundir.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402


def training_state(glyph_px: int) -> dict:
    """A checkpoint dict shaped like the trainer's at the default settings."""
    cfg = ModelConfig(glyph_px=glyph_px, num_styles=1).resolve(16)
    g, d = build_generator(cfg), build_discriminator(cfg)
    optimizers = []
    for net in (g, d):
        opt = torch.optim.Adam(net.parameters(), lr=2e-4)
        for p in net.parameters():
            p.grad = torch.randn_like(p) * 1e-3
        opt.step()  # fills exp_avg / exp_avg_sq like a real step
        optimizers.append(opt.state_dict())
    return {
        "format_version": 2,
        "step": 1000,
        "config": {"model": cfg.to_dict(), "loss": {}, "train": {}},
        "generator": g.state_dict(),
        "discriminator": d.state_dict(),
        "ema": copy.deepcopy(g).state_dict(),
        "opt_g": optimizers[0],
        "opt_d": optimizers[1],
        "rng": {"torch_cpu": torch.get_rng_state()},
    }


def save_bare(state: dict, path: Path) -> None:
    with atomic_path(path, "the checkpoint", durable=True) as tmp:
        torch.save(state, tmp)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glyph-px", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where the checkpoint files are written")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    state = training_state(args.glyph_px)
    times: dict[str, list[float]] = {k: [] for k in ("save1", "save2", "load1", "load2", "sha")}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        bare, checked = Path(tmp) / "bare.pt", Path(tmp) / "checked.pt"
        save_checkpoint(state, checked)  # warm-up: allocator, page cache
        for _ in range(args.repeats):
            times["save1"].append(timed(lambda: save_bare(state, bare)))
            times["save2"].append(timed(lambda: save_checkpoint(state, checked)))
            times["load1"].append(
                timed(lambda: torch.load(bare, map_location="cpu", weights_only=True))
            )
            times["load2"].append(timed(lambda: load_checkpoint(checked)))
            times["sha"].append(timed(lambda: sha256_of(checked)))
        size_mb = checked.stat().st_size / 1e6
    result = {
        "benchmark": "checkpoint",
        "machine": machine(),
        "glyph_px": args.glyph_px,
        "checkpoint_mb": round(size_mb, 1),
        "repeats": args.repeats,
        "statistic": "median",
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "figures": {
            "save format 1 s": figure(times["save1"], "s"),
            "save format 2 s": figure(times["save2"], "s"),
            "load format 1 s": figure(times["load1"], "s"),
            "load format 2 s": figure(times["load2"], "s"),
            "sha256 alone s": figure(times["sha"], "s"),
            "sha256 MB/s": figure([size_mb / t for t in times["sha"]], "MB/s", 0),
        },
    }
    path = write_result("checkpoint", result, args.out)
    for name, fig in result["figures"].items():
        print(f"{name:>18}: {fig}")
    print(f"{size_mb:.0f} MB checkpoint; wrote {path}")


if __name__ == "__main__":
    main()
