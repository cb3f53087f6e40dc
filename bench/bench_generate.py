"""Generation throughput: glyphs per second of ``zi2zi generate``'s batched inference.

Times ``zi2zi_core.evaluation.generate.generate_images`` (uint8 to the device, generator forward in
inference mode, back to uint8) for an untrained generator of the default config (256 px,
base 64 channels) and of a tiny one (32 px, base 8), then the writing of the output folder
(``glyphrender.generated.folder.write_generated``: glyphs.h5 + one PNG per glyph). Weights do not
change the speed, so no trained run is needed; the source glyphs are synthetic strokes.

    python bench/bench_generate.py [--device auto] [--batch-size 16] [--batches 3] [--repeats 3]

Each timed pass is repeated --repeats times; glyphs/s is the median pass.
Writes bench/results/generate-<machine>.json (or --out).
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
from glyphrender.generated.folder import GeneratedMeta, write_generated  # noqa: E402
from glyphrender.rendering.transform import Transform  # noqa: E402
from zi2zi_core.evaluation.generate import SourceGlyphs, generate_images, resolve_device  # noqa: E402
from zi2zi_core.models.config import ModelConfig  # noqa: E402
from zi2zi_core.models.networks import build_generator  # noqa: E402

MODELS = {
    "default-256": {"glyph_px": 256},
    "tiny-32": {"glyph_px": 32, "base_channels": 8, "style_dim": 16},
}


def synthetic_glyphs(n: int, px: int, seed: int = 0) -> np.ndarray:
    """Bars at random places: enough ink that nothing is trivially blank."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, px, px), np.uint8)
    w = max(1, px // 16)
    for img in images:
        for _ in range(4):
            a, b = sorted(rng.integers(px // 8, px - px // 8, 2))
            c = rng.integers(px // 8, px - px // 8)
            if rng.random() < 0.5:
                img[c : c + w, a : b + 1] = 255
            else:
                img[a : b + 1, c : c + w] = 255
    return images


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return machine()["cpu_model"] if device.type == "cpu" else device.type


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_model(
    name: str, device: torch.device, batch_size: int, batches: int, repeats: int = 1
) -> dict:
    cfg = ModelConfig(**MODELS[name]).resolve(batch_size)
    generator = build_generator(cfg).to(device).eval()
    n = batch_size * batches
    glyphs = SourceGlyphs(
        np.arange(0x4E00, 0x4E00 + n, dtype=np.uint32), synthetic_glyphs(n, cfg.glyph_px), 0
    )
    warm = SourceGlyphs(glyphs.codepoints[:batch_size], glyphs.images[:batch_size], 0)
    generate_images(generator, warm, batch_size, device)  # one warm-up batch
    sync(device)
    gen_all = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        images = generate_images(generator, glyphs, batch_size, device)
        sync(device)
        gen_all.append(time.perf_counter() - t0)
    gen_s = statistics.median(gen_all)

    meta = GeneratedMeta(
        0,
        "bench",
        cfg.glyph_px,
        "font",
        "0" * 64,
        "bench.ttf",
        Transform(cfg.glyph_px / 1000, 0.0, cfg.glyph_px * 0.88),
        "0" * 64,
    )
    write_all = []
    for i in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            write_generated(Path(tmp) / f"gen{i}", images, glyphs.codepoints, meta)
            write_all.append(time.perf_counter() - t0)
    write_s = statistics.median(write_all)
    params = sum(p.numel() for p in generator.parameters())
    return {
        "model": name,
        "model_config": cfg.to_dict(),
        "generator_params": params,
        "glyphs": n,
        "batch_size": batch_size,
        "repeats": repeats,
        "generate_s": round(gen_s, 4),
        "generate_s_all": [round(t, 4) for t in gen_all],
        "glyphs_per_s": round(n / gen_s, 2),
        "write_s": round(write_s, 4),
        "write_s_all": [round(t, 4) for t in write_all],
        "write_glyphs_per_s": round(n / write_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--repeats", type=int, default=1, help="timed passes per model [1]")
    parser.add_argument("--out", help="result JSON path [bench/results/generate-MACHINE.json]")
    args = parser.parse_args()
    device = resolve_device(args.device)
    load_before = round(os.getloadavg()[0], 2)
    torch.manual_seed(0)
    results = []
    for name in args.models:
        row = bench_model(name, device, args.batch_size, args.batches, args.repeats)
        print(
            f"{name:>12}: {row['glyphs_per_s']:9.2f} glyphs/s generated, "
            f"{row['write_glyphs_per_s']:9.2f} glyphs/s written ({row['glyphs']} glyphs)"
        )
        results.append(row)
    info = machine()
    info["versions"]["torch"] = torch.__version__
    result = {
        "benchmark": "generate",
        "machine": info,
        "device": {
            "type": device.type,
            "name": device_name(device),
            "torch_threads": torch.get_num_threads(),
        },
        "statistic": "median of --repeats timed passes after one warm-up batch",
        # other work on the machine skews CPU figures; the 1-minute load average tells
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "results": results,
        "figures": {
            **{
                f"{r['model']} generate glyphs/s": figure(
                    [r["glyphs"] / t for t in r["generate_s_all"]], "glyphs/s"
                )
                for r in results
            },
            **{
                f"{r['model']} write glyphs/s": figure(
                    [r["glyphs"] / t for t in r["write_s_all"]], "glyphs/s", 0
                )
                for r in results
            },
        },
    }
    path = write_result("generate", result, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
