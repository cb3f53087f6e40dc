#!/usr/bin/env python3
"""Quality experiments (#14): the metrics table and the side-by-side picture of several runs.

Usage::

    python3 studies/quality-64px/report.py --dataset DATA --run NAME=RUN_DIR [--run ...] \\
        [--png docs/images/quality-64px.png] [--json studies/quality-64px/results-64px.json] \\
        [--forms TC_FONT JP_FONT] [--chars 16] [--checkpoint last]

For every run it reads the val table ``zi2zi eval --checkpoint <checkpoint>`` wrote (where
RunDir puts it, read by zi2zi_core.evaluation.compare) and prints a Markdown table of val L1 /
SSIM / ink IoU, the model's next to copy-the-source. With ``--forms TC_FONT JP_FONT`` (Noto
Sans TC and a Japanese Noto Sans: ``fonts/NotoSansJP_400Regular.ttf`` or
``fonts/NotoSansCJK-Regular.ttc#0``) it also scores the form-consistent subset: val characters
whose two glyphs agree (ink IoU >= 0.8 at the dataset's size, as scripts/measure_source_forms.py),
i.e. pairs whose source has the Japanese character form the target font draws. That subset is
reported beside the full split, never instead of it.

The picture: the same ``--chars`` val characters (spread evenly over the split, by code point)
as columns; rows are the source, the target, then each run's EMA generator output.

Exit codes: 0 written, 1 a run or the dataset cannot be read (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from glyphrender.atomic import save_png_atomic, write_text_atomic
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import GlyphrenderError
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.compare import (
    read_per_glyph,
    run_glyphs,
    same_form,
    side_by_side,
    spread_pick,
    subset_means,
)


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="the runs' dataset")
    parser.add_argument("--run", action="append", required=True, help="NAME=RUN_DIR (repeat)")
    parser.add_argument("--checkpoint", default="last", help="which checkpoint was evaluated")
    parser.add_argument("--png", type=Path, help="write the side-by-side picture here")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument(
        "--forms", nargs=2, metavar=("TC_FONT", "JP_FONT"), help="score the same-form subset too"
    )
    parser.add_argument("--chars", type=int, default=16, help="characters in the picture")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = dict(spec.split("=", 1) for spec in args.run)
    try:
        per_run = {name: read_per_glyph(path, args.checkpoint) for name, path in runs.items()}
        val = Dataset.open(args.dataset).read_split("val")
        codepoints = sorted(next(iter(per_run.values())))
        keep = same_form(*args.forms, codepoints, val.glyph_px) if args.forms else None
    except (OSError, Zi2ziError, GlyphrenderError) as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 1
    results = {
        name: {
            "full": subset_means(rows),
            **({"forms": subset_means(rows, keep)} if keep else {}),
        }
        for name, rows in per_run.items()
    }
    print(table(results, "full"))
    if keep:
        print()
        print(table(results, "forms"))
    if args.json is not None:
        write_text_atomic(args.json, json.dumps(results, indent=2) + "\n", "the results")
    if args.png is not None:
        pick = spread_pick(val.codepoint, args.chars)
        rows = [("source", val.source[pick]), ("target", val.target[pick])]
        rows += [
            (name, run_glyphs(p, args.checkpoint, val.source[pick])) for name, p in runs.items()
        ]
        save_png_atomic(side_by_side(rows), args.png, "the picture")
    return 0


if __name__ == "__main__":
    sys.exit(main())
