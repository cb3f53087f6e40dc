"""Is the plateau a calibration error? Val ink IoU of a run when its drawings are cut at other ink levels.

    python3 studies/quality-30min/ink_level.py runs/quality-30min/maru-baseline-s1 \\
        [--data data/maru-jp64] [--checkpoint last]

The metric counts a pixel as ink at half coverage (glyphrender.metrics.INK_LEVEL) in both the
target and the drawing. A model unsure where a thin stroke lies may draw it too faint or too
wide; cutting its drawing at another level (the target's cut unchanged) shows how much IoU
such a bias costs. Prints one line per level: the mean val ink IoU and the drawn ink over the
target's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from glyphrender.dataset.shards import Dataset
from glyphrender.metrics import INK_LEVEL, ink_iou
from zi2zi_core.evaluation.compare import run_glyphs

LEVELS = (64, 80, 96, 112, INK_LEVEL, 144, 160)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--data", type=Path, default=Path("data/maru-jp64"))
    parser.add_argument("--checkpoint", default="last")
    args = parser.parse_args()
    val = Dataset.open(args.data).read_split("val")
    drawn = run_glyphs(args.run, args.checkpoint, val.source)
    target_ink = (val.target >= INK_LEVEL).sum()
    print(f"{args.run}: {len(drawn)} val glyphs, target cut at {INK_LEVEL}")
    for level in LEVELS:
        ink = drawn >= level
        iou = float(ink_iou(np.where(ink, 255, 0).astype(np.uint8), val.target).mean())
        ratio = ink.sum() / target_ink
        print(
            f"drawing cut at {level:3d}: val ink IoU {iou:.4f}, drawn ink / target ink {ratio:.3f}"
        )


if __name__ == "__main__":
    main()
