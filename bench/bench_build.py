"""Build benchmark: the full Noto Sans TC -> Zen Maru Gothic build vs raw FreeType rasterisation.

Times `build_dataset` (open fonts, coverage, render, compress, write shards, manifest) for the
cjk charset at --size px on all cores, and, side by side, plain FreeType rendering of the same
glyphs (FT_Set_Pixel_Sizes + FT_Load_Glyph(FT_LOAD_RENDER), bitmap copied to numpy; no
placement, no compression, no I/O) split over the same number of processes.

    python bench/bench_build.py [--size 256] [--repeats 3] [--workers N] [--out FILE]

Writes bench/results/build-<machine>.json (or --out).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, font_path, machine, median_time, write_result  # noqa: E402
from glyphrender.dataset.build import BuildConfig, build_dataset  # noqa: E402
from glyphrender.fonts.loading import FontRef  # noqa: E402
from glyphrender.rendering.render import RenderOptions  # noqa: E402


def _raw_render(args: tuple[str, int, list[int]]) -> int:
    """FreeType's own pipeline at the pixel size: load, render, copy the bitmap to numpy."""
    import ctypes

    import freetype

    path, size, cps = args
    face = freetype.Face(path)
    face.set_pixel_sizes(size, size)
    raw = face._FT_Face
    flags = freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_NO_BITMAP
    ink = 0
    for cp in cps:
        gid = freetype.raw.FT_Get_Char_Index(raw, cp)
        if freetype.raw.FT_Load_Glyph(raw, gid, flags):
            continue
        bm = raw.contents.glyph.contents.bitmap
        if bm.rows:
            data = ctypes.string_at(bm.buffer, bm.rows * abs(bm.pitch))
            arr = np.frombuffer(data, np.uint8).reshape(bm.rows, abs(bm.pitch))
            ink += int(arr[0, 0])
    return ink


def raw_rasterise(jobs: list[tuple[str, int]], size: int, workers: int) -> None:
    chunks = [
        (path, size, [cp for p, cp in jobs[i : i + 256] if p == path])
        for path in {p for p, _ in jobs}
        for i in range(0, len(jobs), 256)
    ]
    with ProcessPoolExecutor(workers) as ex:
        list(ex.map(_raw_render, chunks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--out", help="result JSON path [bench/results/build-MACHINE.json]")
    args = parser.parse_args()
    src, dst = font_path("NotoSansTC_400Regular.ttf"), font_path("ZenMaruGothic_400Regular.ttf")
    tmp = Path(tempfile.mkdtemp())
    result_holder = {}

    def build() -> None:
        out = tmp / "ds"
        shutil.rmtree(out, ignore_errors=True)
        result_holder["r"] = build_dataset(
            BuildConfig(
                FontRef(src),
                (FontRef(dst),),
                out=out,
                render=RenderOptions(glyph_px=args.size),
                workers=args.workers,
            )
        )

    try:
        build_s, build_all = median_time(build, args.repeats)
        r = result_holder["r"]
        counts = {s: r.count(s) for s in ("train", "val", "missing")}
        # The same glyph images the build rendered: source for every sample, target for pairs.
        jobs = []
        for split in ("train", "val", "missing"):
            from glyphrender.dataset.shards import Dataset

            batch = Dataset.open(r.out).read_split(split)
            jobs += [(str(src), int(c)) for c in batch.codepoint]
            if split != "missing":
                jobs += [(str(dst), int(c)) for c in batch.codepoint]
        t0 = time.perf_counter()
        size_bytes = sum(p.stat().st_size for p in r.out.iterdir())
        raw_s, raw_all = median_time(
            lambda: raw_rasterise(jobs, args.size, args.workers), args.repeats
        )
        del t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    images = len(jobs)
    result = {
        "benchmark": "build",
        "machine": machine(),
        "workers": args.workers,
        "glyph_px": args.size,
        "samples": counts,
        "glyph_images": images,
        "dataset_bytes": size_bytes,
        "compression": dict(r.manifest.compression or {}),
        "repeats": args.repeats,
        "statistic": "median",
        "build_s": round(build_s, 3),
        "build_s_all": [round(t, 3) for t in build_all],
        "build_images_per_s": round(images / build_s, 1),
        "raw_freetype_s": round(raw_s, 3),
        "raw_freetype_s_all": [round(t, 3) for t in raw_all],
        "raw_images_per_s": round(images / raw_s, 1),
        "build_over_raw": round(build_s / raw_s, 2),
        "figures": {
            "build glyph images/s": figure([images / t for t in build_all], "images/s", 1),
            "raw FreeType images/s": figure([images / t for t in raw_all], "images/s", 1),
            "build time / raw time": figure(
                [b / r for b, r in zip(build_all, raw_all, strict=True)], "x"
            ),
        },
        "note": "build_s includes opening both fonts, outline coverage analysis of both fonts "
        "(fonts.present_codepoints), rendering, gzip encoding and writing shards",
    }
    print(
        f"{images} glyph images at {args.size} px on {args.workers} workers: build {build_s:.2f} s "
        f"({images / build_s:,.0f}/s), raw FreeType {raw_s:.2f} s ({images / raw_s:,.0f}/s), "
        f"ratio {build_s / raw_s:.2f}"
    )
    print("wrote", write_result("build", result, args.out))


if __name__ == "__main__":
    main()
