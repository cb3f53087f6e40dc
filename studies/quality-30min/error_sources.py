"""Where does the val error come from? The seeds' disagreement, and where each glyph sits.

    python3 studies/quality-30min/error_sources.py runs/quality-30min/maru-quality-s1 \\
        runs/quality-30min/maru-quality-s2 [--data data/maru-jp64] [--checkpoint last]

Prints, over the val glyphs:

1. each run's ink IoU, and the IoU of the runs' drawings averaged pixel by pixel (an
   ensemble): how much the seed-to-seed disagreement costs;
2. each run's IoU when every drawing is moved and scaled to where it fits its target best
   (shifts of whole pixels up to SHIFT_PX each way, scales SCALES about the centre), and the
   same for copying the source: how much of the error is where the character sits rather
   than how its strokes are drawn. A per-glyph best fit is an upper bound: it also fits noise;
3. with ``--shifted-inputs``, each run's drawings of its source moved by whole pixels (the
   centre and up to SHIFT_INPUT_PX each way), moved back and averaged: an ensemble of one
   model, as far as a network that down-samples by 2 is not shift-equivariant. It costs only
   inference.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from glyphrender.dataset.shards import Dataset
from glyphrender.metrics import ink_iou
from PIL import Image
from zi2zi_core.evaluation.compare import run_glyphs

SHIFT_PX = 2
SCALES = (0.90, 0.925, 0.95, 0.975, 1.0, 1.025, 1.05, 1.075, 1.10)
SHIFT_INPUT_PX = 1


# -- 1. the ensemble ---------------------------------------------------------------------------
def ensemble(drawings: list[np.ndarray]) -> np.ndarray:
    """The drawings averaged pixel by pixel, as uint8."""
    return np.rint(np.mean(np.stack(drawings).astype(np.float32), axis=0)).astype(np.uint8)


# -- 2. the best placement ---------------------------------------------------------------------
def scaled(glyph: np.ndarray, scale: float) -> np.ndarray:
    """``glyph`` (H, W uint8, ink high) scaled about its centre, bilinear, same size."""
    size = glyph.shape[0]
    centre = size / 2  # PIL's coordinates run over [0, size]: pixel centres at i + 0.5
    offset = centre - centre / scale  # PIL maps each output point to input = out / scale + offset
    coeffs = (1 / scale, 0, offset, 0, 1 / scale, offset)
    img = Image.fromarray(glyph).transform(
        (size, size), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR
    )
    return np.asarray(img)


def moved(glyphs: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """(N, H, W) glyphs moved ``dy`` pixels down and ``dx`` right, zero-filled."""
    out = np.zeros_like(glyphs)
    size = glyphs.shape[1]
    src = (slice(max(0, -dy), size - max(0, dy)), slice(max(0, -dx), size - max(0, dx)))
    dst = (slice(max(0, dy), size - max(0, -dy)), slice(max(0, dx), size - max(0, -dx)))
    out[:, dst[0], dst[1]] = glyphs[:, src[0], src[1]]
    return out


def shifted(glyph: np.ndarray, shift_px: int) -> np.ndarray:
    """Every shift of a (H, W) image by up to ``shift_px`` each way, zero-filled: (S, H, W)."""
    span = range(-shift_px, shift_px + 1)
    return np.concatenate([moved(glyph[None], dy, dx) for dy in span for dx in span])


def best_placement_iou(drawing: np.ndarray, target: np.ndarray) -> float:
    """The best ink IoU (the metric's own) of ``drawing`` against ``target`` over the scales
    and shifts."""
    best = 0.0
    for scale in SCALES:
        candidates = shifted(scaled(drawing, scale), SHIFT_PX)
        iou = ink_iou(candidates, np.broadcast_to(target, candidates.shape))
        best = max(best, float(iou.max()))
    return best


def mean_best_placement(drawings: np.ndarray, targets: np.ndarray) -> float:
    return float(
        np.mean([best_placement_iou(d, t) for d, t in zip(drawings, targets, strict=True)])
    )


# -- 3. one model, its inputs shifted ---------------------------------------------------------
def shifted_inputs(run: Path, checkpoint: str, sources: np.ndarray) -> np.ndarray:
    """The run's drawings of every source moved by each shift, moved back, averaged."""
    span = range(-SHIFT_INPUT_PX, SHIFT_INPUT_PX + 1)
    return ensemble(
        [
            moved(run_glyphs(run, checkpoint, moved(sources, dy, dx)), -dy, -dx)
            for dy in span
            for dx in span
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--data", type=Path, default=Path("data/maru-jp64"))
    parser.add_argument("--checkpoint", default="last")
    parser.add_argument(
        "--shifted-inputs", action="store_true", help="add section 3: each run's inputs shifted"
    )
    args = parser.parse_args()
    val = Dataset.open(args.data).read_split("val")
    drawings = [run_glyphs(run, args.checkpoint, val.source) for run in args.runs]
    print(f"{len(val.source)} val glyphs of {args.data}, checkpoint {args.checkpoint}")
    print(f"{'drawing':<44} {'ink IoU':>8} {'best placed':>12}")
    rows = [(str(run), drawing) for run, drawing in zip(args.runs, drawings, strict=True)]
    if len(drawings) > 1:
        rows.append((f"ensemble of the {len(drawings)} runs", ensemble(drawings)))
    if args.shifted_inputs:
        n = (2 * SHIFT_INPUT_PX + 1) ** 2
        rows += [
            (f"{run.name}, {n} shifted inputs", shifted_inputs(run, args.checkpoint, val.source))
            for run in args.runs
        ]
    rows.append(("copy the source", val.source))
    for name, drawing in rows:
        iou = float(ink_iou(drawing, val.target).mean())
        placed = mean_best_placement(drawing, val.target)
        print(f"{name:<44} {iou:8.4f} {placed:12.4f}")


if __name__ == "__main__":
    main()
