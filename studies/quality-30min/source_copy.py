"""Is a closer source at hand? Candidate source fonts scored against the target on the study's val characters.

    python3 studies/quality-30min/source_copy.py fonts/NotoSansJP_400Regular.ttf \\
        fonts/KiwiMaru_400Regular.ttf ... [--data data/maru-jp64] \\
        [--target fonts/ZenMaruGothic_400Regular.ttf] [--blend]

The `kaku2maru` diagnostic puts the gap left in the source: given the target's skeletons, the
network draws unseen characters at 0.93. For each candidate this renders it against the target
(glyphrender's build, the study's placement) on the val characters of ``--data`` and prints,
over the characters both draw, with their count:

- copy ink IoU: the candidate's glyph taken as the drawing;
- skeleton F1: both glyphs thinned to one-pixel skeletons (ink = coverage >= 128); a skeleton
  pixel counts as matched if the other skeleton passes within one pixel of it; the F1 of the
  two match rates, averaged over glyphs. Unlike copy IoU it leaves out the stroke weight,
  which the network learns easily: Zen Maru Gothic Bold copies worse than Noto (0.60 against
  0.61) but has the target's skeletons (F1 0.94 against 0.78), and as the source it reaches
  0.85 where Noto stops at 0.74.

``--blend`` also scores the blend of all the candidates (``glyphrender build --src FIRST
--blend ...``: each glyph the mean of the fonts that draw it; the first must draw them all).
Builds in a temporary folder; writes nothing else.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from glyphrender.dataset.build import BuildConfig, build_dataset
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import GlyphrenderError
from glyphrender.fonts.loading import FontRef
from glyphrender.metrics import ink_iou
from glyphrender.rendering.render import RenderOptions
from skimage.morphology import dilation, disk, skeletonize


def skeleton_f1(source: np.ndarray, target: np.ndarray) -> float:
    """Mean over glyphs of the F1 of skeleton pixels matched within one pixel (see above)."""
    return skeleton_f1_against(source, [skeletonize(t >= 128) for t in target])


def skeleton_f1_against(source: np.ndarray, target_skeletons: list[np.ndarray]) -> float:
    """:func:`skeleton_f1` with the target's skeletons given (a search scores many sources)."""
    near = disk(1)
    scores = []
    for source_img, b in zip(source, target_skeletons, strict=True):
        a = skeletonize(source_img >= 128)
        if not a.any() or not b.any():
            continue  # a blank glyph has no skeleton to place
        precision = (a & dilation(b, near)).sum() / a.sum()
        recall = (b & dilation(a, near)).sum() / b.sum()
        both = precision + recall
        scores.append(0.0 if both == 0 else 2 * precision * recall / both)
    return float(np.mean(scores))


def build_pairs(sources: list[str], target: Path, charset: Path, glyph_px: int, out: Path):
    """The pairs of ``sources`` (one font, or the first blended with the rest) and ``target``
    over ``charset``, built into ``out`` with the study's placement: a GlyphBatch of the
    characters both draw, in code point order."""
    config = BuildConfig(
        source=FontRef.parse(sources[0]),
        blend=tuple(FontRef.parse(s) for s in sources[1:]),
        targets=(FontRef.parse(str(target)),),
        out=out,
        charset=(str(charset),),
        render=RenderOptions(glyph_px=glyph_px),  # the study's placement and margin
        val_fraction=1.0,
    )
    build_dataset(config)
    return Dataset.open(out).read_split("val")


def score(sources: list[str], target: Path, charset: Path, glyph_px: int, out: Path) -> str:
    """One line: copy ink IoU and skeleton F1 of ``sources`` (one font, or a blend) against
    ``target`` over ``charset``; the pairs are built into ``out``."""
    pairs = build_pairs(sources, target, charset, glyph_px, out)
    iou = float(ink_iou(pairs.source, pairs.target).mean())
    f1 = skeleton_f1(pairs.source, pairs.target)
    return f"{len(pairs.source):4d} drawn   copy ink IoU {iou:.4f}   skeleton F1 {f1:.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", metavar="FONT", help="FILE or FILE#FACE")
    parser.add_argument("--data", type=Path, default=Path("data/maru-jp64"))
    parser.add_argument("--target", type=Path, default=Path("fonts/ZenMaruGothic_400Regular.ttf"))
    parser.add_argument("--blend", action="store_true", help="also score the blend of them all")
    args = parser.parse_args()
    try:
        data = Dataset.open(args.data)
        val = data.read_split("val")
        with tempfile.TemporaryDirectory() as tmp:
            charset = Path(tmp) / "val-characters.txt"
            charset.write_text("".join(map(chr, val.codepoint.tolist())), encoding="utf-8")
            print(f"{len(val.codepoint)} val characters of {args.data}, target {args.target}")
            runs = [[s] for s in args.sources] + ([args.sources] if args.blend else [])
            for i, sources in enumerate(runs):
                out = Path(tmp) / f"source-{i}"  # one font file may give several faces
                name = Path(sources[0]).name if len(sources) == 1 else f"blend of {len(sources)}"
                print(f"{name:36s} {score(sources, args.target, charset, data.glyph_px, out)}")
    except GlyphrenderError as exc:
        print(f"source_copy.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
