"""Assemble speed and quality on the real Zen Maru Gothic: N of its CJK glyphs rendered at
256 px (font placement) are traced and added back under code points it lacks.

Measures tracing alone (glyphs/s), the whole `assemble` (load, trace, add, save, reload,
re-render check; glyphs/s), the re-render ink IoU and the outline points per glyph.

    python bench/bench_assemble.py [--count 500] [--repeats 1] [--out FILE]

Tracing and assembling are each repeated --repeats times; glyphs/s figures are medians.
Writes bench/results/assemble-<machine>.json (or --out).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, font_path, machine, write_result  # noqa: E402
from glyphrender.assembly.assemble import assemble  # noqa: E402
from glyphrender.assembly.trace import TraceOptions, trace_bitmap  # noqa: E402
from glyphrender.fonts.loading import FontRef, open_font, present_codepoints  # noqa: E402
from glyphrender.generated.folder import GeneratedMeta, write_generated  # noqa: E402
from glyphrender.rendering.placement import em_box, font_transform  # noqa: E402
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints  # noqa: E402

PX = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", help="result JSON path [bench/results/assemble-MACHINE.json]")
    args = parser.parse_args()
    path = font_path("ZenMaruGothic_400Regular.ttf")
    font = open_font(FontRef(path))
    transform = font_transform(em_box(font), PX)
    drawn = sorted(c for c in present_codepoints(font) if 0x4E00 <= c <= 0x9FFF)
    lacking = [c for c in range(0x4E00, 0xA000) if c not in font.cmap]
    rng = np.random.default_rng(7)
    picked = sorted(rng.choice(drawn, args.count, replace=False).tolist())
    targets = sorted(rng.choice(lacking, args.count, replace=False).tolist())
    images = render_codepoints(
        GlyphRenderer(font.sfnt_bytes, transform, RenderOptions(glyph_px=PX)), picked
    )
    options = TraceOptions()
    trace_all, total_all = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for image in images:
            trace_bitmap(image, options)
        trace_all.append(time.perf_counter() - t0)
    trace_s = statistics.median(trace_all)
    with tempfile.TemporaryDirectory() as tmp:
        meta = GeneratedMeta(
            0, font.display_name, PX, "font", font.sha256, str(path), transform, "0" * 64
        )
        gen = write_generated(Path(tmp) / "gen", images, targets, meta)
        for i in range(args.repeats):
            t0 = time.perf_counter()
            report = assemble(path, gen, Path(tmp) / f"out{i}.ttf")
            total_all.append(time.perf_counter() - t0)
    total_s = statistics.median(total_all)
    iou = np.array(report.iou)
    result = {
        "benchmark": "assemble",
        "font": path.name,
        "glyph_px": PX,
        "glyphs": args.count,
        "trace_options": options.__dict__,
        "trace_glyphs_per_s": round(args.count / trace_s, 1),
        "assemble_seconds": round(total_s, 2),
        "assemble_glyphs_per_s": round(args.count / total_s, 1),
        "ink_iou": {
            "mean": round(float(iou.mean()), 4),
            "median": round(float(np.median(iou)), 4),
            "min": round(float(iou.min()), 4),
        },
        "outline_points_median": statistics.median(report.points),
        "repeats": args.repeats,
        "statistic": "median of --repeats runs",
        "trace_s_all": [round(t, 3) for t in trace_all],
        "assemble_s_all": [round(t, 3) for t in total_all],
        "figures": {
            "trace glyphs/s": figure([args.count / t for t in trace_all], "glyphs/s", 1),
            "assemble glyphs/s": figure([args.count / t for t in total_all], "glyphs/s", 1),
        },
        "machine": machine(),
        "device": "cpu",
    }
    out = write_result("assemble", result, args.out)
    print(
        f"{args.count} glyphs: trace {result['trace_glyphs_per_s']} glyphs/s, assemble "
        f"{result['assemble_glyphs_per_s']} glyphs/s ({total_s:.1f} s), ink IoU mean "
        f"{result['ink_iou']['mean']} median {result['ink_iou']['median']} min "
        f"{result['ink_iou']['min']}, points median {result['outline_points_median']} -> {out}"
    )


if __name__ == "__main__":
    main()
