"""A dataset whose sources also show the target's drawing of a similar train character.

    python3 studies/quality-30min/ref_source.py data/maru-jp64 data/ref2maru-jp64

The study's `kaku2maru` diagnostic puts the plateau in the source: the network draws Zen Maru
Gothic's strokes at 0.93 when the source has Zen Maru's skeletons, at 0.74 from Noto's. For a
character it must generate, the target font already shows where it puts the strokes of the
character's parts, in the train characters that share them (語 and 話 share 言). This tests
whether that is worth anything before any model change: each source (train and val) becomes
one channel holding two drawings, the source glyph at two thirds of full ink and, at one
third, the target glyph of the train character whose source glyph is nearest (soft ink IoU of
the two source glyphs; never the character itself). Where both have ink the pixel is full,
where only the source has it 170, where only the reference 85: the network can tell them apart.
Val characters take their references from the train split only, so no val target is seen. The
missing split is copied as it is (it has no targets to compare). Written under a temporary
name, verified, renamed when complete.

It also says how much the references could tell, without a model: on the val characters, the
share of the target's ink lying where the character's source and its reference's source agree
locally (a 9x9 window in which at most 2 pixels differ), and there the ink IoU of the
reference's target and of the source itself against the target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from dataset_copy import copy_with_sources
from glyphrender.dataset.shards import Dataset, GlyphBatch
from glyphrender.errors import GlyphrenderError

SOURCE_SHARE = 2  # of 3 parts: the source glyph; the reference gets the third
CHUNK = 512  # query rows per similarity block (a 512 x 6,016 float32 block: 12 MB)
WINDOW, MAX_DIFFERING = 9, 2  # "the sources agree locally": the diagnostic's window


def nearest_train(
    query: np.ndarray, train: np.ndarray, exclude_self: bool
) -> tuple[np.ndarray, np.ndarray]:
    """For each (px, px) uint8 glyph of ``query``, the row of ``train`` with the highest soft
    ink IoU, and that IoU; with ``exclude_self`` (query is train) a row never picks itself."""
    q = query.reshape(len(query), -1).astype(np.float32) / 255.0
    t = train.reshape(len(train), -1).astype(np.float32) / 255.0
    t_ink = t.sum(axis=1)
    best = np.empty(len(q), dtype=np.int64)
    best_iou = np.empty(len(q), dtype=np.float32)
    for start in range(0, len(q), CHUNK):
        block = q[start : start + CHUNK]
        inter = block @ t.T
        union = block.sum(axis=1)[:, None] + t_ink[None, :] - inter
        iou = inter / np.maximum(union, 1e-6)
        if exclude_self:
            rows = np.arange(start, start + len(block))
            iou[rows - start, rows] = -1.0
        best[start : start + len(block)] = iou.argmax(axis=1)
        best_iou[start : start + len(block)] = iou.max(axis=1)
    return best, best_iou


def with_reference(source: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The two drawings in one channel: source at 2/3 of full ink, reference at 1/3."""
    total = SOURCE_SHARE * source.astype(np.uint16) + reference.astype(np.uint16)
    return np.rint(total / (SOURCE_SHARE + 1)).astype(np.uint8)


def _window_sum(mask: np.ndarray) -> np.ndarray:
    """Per pixel, the count of set pixels in the WINDOW x WINDOW square around it."""
    half = WINDOW // 2
    padded = np.pad(mask.astype(np.int32), ((0, 0), (half + 1, half), (half + 1, half)))
    c = padded.cumsum(1).cumsum(2)
    return (
        c[:, WINDOW:, WINDOW:]
        - c[:, :-WINDOW, WINDOW:]
        - c[:, WINDOW:, :-WINDOW]
        + c[:, :-WINDOW, :-WINDOW]
    )


def _masked_iou(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    inter = (a & b & where).sum(axis=(1, 2))
    union = ((a | b) & where).sum(axis=(1, 2))
    return float(np.mean(inter[union > 0] / union[union > 0]))


def reference_reach(val: GlyphBatch, ref_source: np.ndarray, ref_target: np.ndarray) -> dict:
    """The diagnostic of the module docstring (ink: coverage >= 128)."""
    source, target = val.source >= 128, val.target >= 128
    agree = (_window_sum(source ^ (ref_source >= 128)) <= MAX_DIFFERING) & (_window_sum(source) > 0)
    return {
        "share_of_target_ink": float((target & agree).sum() / target.sum()),
        "reference_iou": _masked_iou(ref_target >= 128, target, agree),
        "copy_iou": _masked_iou(source, target, agree),
    }


def copy_with_references(data_dir: Path, out: Path) -> dict:
    """Write the copy (see above) to ``out``; the references' mean source soft IoU per split
    and :func:`reference_reach` on val."""
    data = Dataset.open(data_dir)
    train, val = data.read_split("train"), data.read_split("val")
    picks = {
        "train": nearest_train(train.source, train.source, exclude_self=True),
        "val": nearest_train(val.source, train.source, exclude_self=False),
    }
    sources = {
        split: with_reference(batch.source, train.target[picks[split][0]])
        for split, batch in (("train", train), ("val", val))
    }
    copy_with_sources(data_dir, out, sources)
    reach = reference_reach(val, train.source[picks["val"][0]], train.target[picks["val"][0]])
    return {split: float(np.mean(iou)) for split, (_, iou) in picks.items()} | {"reach": reach}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a dataset from glyphrender build")
    parser.add_argument("out", type=Path, help="the new dataset folder (must not exist)")
    args = parser.parse_args()
    if args.out.exists():
        print(f"ref_source.py: {args.out}: already exists", file=sys.stderr)
        return 1
    try:
        found = copy_with_references(args.data, args.out)
    except GlyphrenderError as exc:
        print(f"ref_source.py: {exc}", file=sys.stderr)
        return 1
    reach = found["reach"]
    print(
        f"wrote {args.out}: references' mean source soft IoU, train {found['train']:.3f}, val "
        f"{found['val']:.3f}\nval: {reach['share_of_target_ink']:.1%} of the target's ink lies "
        f"where source and reference source agree locally; there the reference's target scores "
        f"ink IoU {reach['reference_iou']:.4f}, copying the source {reach['copy_iou']:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
