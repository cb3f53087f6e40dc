#!/usr/bin/env python3
"""Quality experiments (#14): the metrics table and the side-by-side picture of several runs.

Usage::

    python3 docs/quality/report.py --dataset DATA --run NAME=RUN_DIR [--run ...] \\
        [--png docs/images/quality-64px.png] [--json docs/quality/results-64px.json] \\
        [--forms-fonts fonts] [--chars 16] [--checkpoint last]

For every run it reads ``RUN/eval/<checkpoint>-val/per_glyph.csv`` (written by ``zi2zi eval
--checkpoint <checkpoint>``) and prints a Markdown table of val L1 / SSIM / ink IoU, the model's
next to copy-the-source. With ``--forms-fonts`` (a folder holding Noto Sans TC and Noto Sans JP)
it also scores the form-consistent subset: val characters whose Noto Sans TC and Noto Sans JP
glyphs agree (ink IoU >= 0.8 at the dataset's size, as scripts/measure_source_forms.py), i.e.
pairs whose source has the Japanese character form the target font draws. That subset is
reported beside the full split, never instead of it.

The picture: the same ``--chars`` val characters (spread evenly over the split, by code point)
as columns; rows are the source, the target, then each run's EMA generator output.

Exit codes: 0 written, 1 a run or the dataset cannot be read (one line on stderr).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from glyphrender.atomic import save_png_atomic, write_text_atomic
from glyphrender.dataset.shards import Dataset
from PIL import Image, ImageDraw, ImageFont

METRICS = ("l1", "ssim", "ink_iou")
FORMS_IOU = 0.8  # scripts/measure_source_forms.py's threshold
TC, JP = "NotoSansTC_400Regular.ttf", "NotoSansJP_400Regular.ttf"


def read_per_glyph(run: Path, checkpoint: str) -> dict[int, dict[str, float]]:
    """code point -> the per-glyph row of ``zi2zi eval`` (floats)."""
    path = run / "eval" / f"{checkpoint}-val" / "per_glyph.csv"
    with open(path, newline="", encoding="utf-8") as f:
        return {
            int(row["codepoint"][2:], 16): {
                k: float(v) for k, v in row.items() if k not in ("codepoint", "char", "style")
            }
            for row in csv.DictReader(f)
        }


def form_consistent(fonts: Path, codepoints: list[int], glyph_px: int) -> set[int]:
    """The code points whose Noto Sans TC and Noto Sans JP glyphs have ink IoU >= 0.8."""
    from glyphrender.fonts.loading import open_font, present_codepoints
    from glyphrender.metrics import ink_iou
    from glyphrender.rendering.placement import em_box, font_transform
    from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

    tc, jp = open_font(fonts / TC), open_font(fonts / JP)
    shared = sorted(set(codepoints) & present_codepoints(tc) & present_codepoints(jp))
    rendered = []
    for font in (tc, jp):
        options = RenderOptions(glyph_px=glyph_px)
        transform = font_transform(em_box(font), glyph_px, options.margin)
        renderer = GlyphRenderer(font.sfnt_bytes, transform, options, name=str(font.path))
        rendered.append(render_codepoints(renderer, shared))
    iou = ink_iou(rendered[0], rendered[1])
    return {cp for cp, v in zip(shared, iou, strict=True) if v >= FORMS_IOU}


def means(rows: dict[int, dict[str, float]], keep: set[int] | None) -> dict[str, dict]:
    """{"model": {metric: mean}, "copy_source": {...}, "count": n} over ``keep`` (or all)."""
    chosen = [r for cp, r in rows.items() if keep is None or cp in keep]
    out: dict[str, dict] = {"count": len(chosen)}  # type: ignore[dict-item]
    for system in ("model", "copy_source"):
        out[system] = {m: float(np.mean([r[f"{system}_{m}"] for r in chosen])) for m in METRICS}
    return out


def table(results: dict[str, dict], subset: str) -> str:
    """Markdown rows: run, model L1 / SSIM / IoU, copy-source L1 / SSIM / IoU, L1 ratio."""
    lines = [
        f"| run ({subset}) | n | L1 | SSIM | ink IoU | copy L1 | copy SSIM | copy IoU | L1 / copy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        r = res[subset]
        m, c = r["model"], r["copy_source"]
        lines.append(
            f"| {name} | {r['count']} | {m['l1']:.4f} | {m['ssim']:.4f} | {m['ink_iou']:.4f} | "
            f"{c['l1']:.4f} | {c['ssim']:.4f} | {c['ink_iou']:.4f} | {m['l1'] / c['l1']:.3f} |"
        )
    return "\n".join(lines)


def generated(run: Path, checkpoint: str, sources: np.ndarray) -> np.ndarray:
    """The run's EMA generator on (N, H, W) uint8 sources (style 0), as uint8 coverage."""
    from zi2zi_core.evaluation.generate import SourceGlyphs, generate_images
    from zi2zi_core.rundir.checkpoint import load_for_inference

    bundle = load_for_inference(run, checkpoint, "cpu")
    glyphs = SourceGlyphs(np.zeros(len(sources), np.uint32), sources, 0)
    return generate_images(bundle.generator, glyphs, 64, "cpu")


def picture(rows: list[tuple[str, np.ndarray]], gap: int = 2, label_w: int = 150) -> Image.Image:
    """One labelled row per (label, (N, H, W) uint8 coverage); ink drawn dark on white."""
    n, px = rows[0][1].shape[:2]
    sheet = Image.new("L", (label_w + n * (px + gap), len(rows) * (px + gap) + gap), 255)
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default()
    for r, (label, images) in enumerate(rows):
        y = gap + r * (px + gap)
        draw.text((4, y + px // 2 - 6), label, fill=0, font=font)
        for i, img in enumerate(images):
            x = label_w + i * (px + gap)
            sheet.paste(Image.fromarray(255 - img), (x, y))
            draw.rectangle((x - 1, y - 1, x + px, y + px), outline=200)
    return sheet


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="the runs' dataset")
    parser.add_argument("--run", action="append", required=True, help="NAME=RUN_DIR (repeat)")
    parser.add_argument("--checkpoint", default="last", help="which checkpoint was evaluated")
    parser.add_argument("--png", type=Path, help="write the side-by-side picture here")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("--forms-fonts", type=Path, help="folder with Noto Sans TC and JP")
    parser.add_argument("--chars", type=int, default=16, help="characters in the picture")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = dict(spec.split("=", 1) for spec in args.run)
    try:
        per_run = {name: read_per_glyph(Path(p), args.checkpoint) for name, p in runs.items()}
        val = Dataset.open(args.dataset).read_split("val")
    except (OSError, KeyError, ValueError) as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 1
    codepoints = sorted(next(iter(per_run.values())))
    keep = None
    if args.forms_fonts is not None:
        keep = form_consistent(args.forms_fonts, codepoints, val.glyph_px)
    results = {
        name: {"full": means(rows, None), **({"forms": means(rows, keep)} if keep else {})}
        for name, rows in per_run.items()
    }
    print(table(results, "full"))
    if keep:
        print()
        print(table(results, "forms"))
    if args.json is not None:
        write_text_atomic(args.json, json.dumps(results, indent=2) + "\n", "the results")
    if args.png is not None:
        order = np.argsort(val.codepoint)
        pick = order[np.linspace(0, len(order) - 1, args.chars).round().astype(int)]
        rows = [("source", val.source[pick]), ("target", val.target[pick])]
        rows += [
            (name, generated(Path(p), args.checkpoint, val.source[pick]))
            for name, p in runs.items()
        ]
        save_png_atomic(picture(rows), args.png, "the picture")
    return 0


if __name__ == "__main__":
    sys.exit(main())
