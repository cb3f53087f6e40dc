"""Which fonts to blend? A beam search over blends of candidate fonts, scored on train characters.

    python3 studies/quality-30min/blend_search.py fonts/BIZUDPGothic_400Regular.ttf ... \\
        [--src fonts/NotoSansCJK-Regular.ttc#0] [--data data/maru-jp64] \\
        [--target fonts/ZenMaruGothic_400Regular.ttf] [--every 9] [--beam 3] [--max-fonts 6]

``source_copy.py`` showed that skeleton F1 against the target orders the sources the way
training does, and that a blend (``glyphrender build --blend``) can be closer than any one font.
The first blend (session 9) was picked from three nested blends scored on the val characters.
This picks the blend the way a user would have to, without the val characters: every
``--every``-th character of ``--data``'s train split, rendered from ``--src`` and from each
candidate (glyphrender's build, the study's placement), blended by the build's rule (the mean
over the fonts that draw the character, rounded half to even), and scored by skeleton F1.
The search starts from ``--src`` alone, keeps the ``--beam`` best blends of each size, and
grows each by every candidate not in it, up to ``--max-fonts`` fonts in all. It prints the best
blend of each size; only the one picked should then be scored on val (``source_copy.py
--blend``) and trained. Builds in a temporary folder; writes nothing else.
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
from glyphrender.rendering.render import RenderOptions
from skimage.morphology import dilation, disk, skeletonize

NEAR = disk(1)


def render(font: str, target: Path, charset: Path, glyph_px: int, out: Path):
    """The (codepoints, font glyphs, target glyphs) the font and the target both draw."""
    config = BuildConfig(
        source=FontRef.parse(font),
        targets=(FontRef.parse(str(target)),),
        out=out,
        charset=(str(charset),),
        render=RenderOptions(glyph_px=glyph_px),  # the study's placement and margin
        val_fraction=1.0,
    )
    build_dataset(config)
    pairs = Dataset.open(out).read_split("val")
    return pairs.codepoint, pairs.source, pairs.target


def blend(stack: np.ndarray, drawn: np.ndarray, members: tuple[int, ...]) -> np.ndarray:
    """The build's rule: per glyph, the mean over the members that draw it, half to even."""
    chosen = list(members)
    count = drawn[chosen].sum(axis=0)  # the source (member 0) draws every glyph
    total = (stack[chosen].astype(np.float64) * drawn[chosen][:, :, None, None]).sum(axis=0)
    return np.rint(total / count[:, None, None]).astype(np.uint8)


def mean_f1(source: np.ndarray, target_skeletons: list[np.ndarray]) -> float:
    """Skeleton F1 as ``source_copy.py`` defines it, against precomputed target skeletons."""
    scores = []
    for source_img, b in zip(source, target_skeletons, strict=True):
        a = skeletonize(source_img >= 128)
        if not a.any() or not b.any():
            continue
        precision = (a & dilation(b, NEAR)).sum() / a.sum()
        recall = (b & dilation(a, NEAR)).sum() / b.sum()
        both = precision + recall
        scores.append(0.0 if both == 0 else 2 * precision * recall / both)
    return float(np.mean(scores))


def search(stack, drawn, target_skeletons, beam: int, max_fonts: int):
    """Yield (size, [(f1, members), ...] best first) for each blend size from 1."""
    level = [(mean_f1(stack[0], target_skeletons), (0,))]
    yield 1, level
    for size in range(2, max_fonts + 1):
        grown = {tuple(sorted(m + (c,))) for _, m in level[:beam] for c in range(1, len(stack))}
        grown = {m for m in grown if len(set(m)) == size}
        if not grown:
            return
        level = sorted(
            ((mean_f1(blend(stack, drawn, m), target_skeletons), m) for m in grown), reverse=True
        )
        yield size, level


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", nargs="+", metavar="FONT", help="FILE or FILE#FACE")
    parser.add_argument("--src", default="fonts/NotoSansCJK-Regular.ttc#0")
    parser.add_argument("--data", type=Path, default=Path("data/maru-jp64"))
    parser.add_argument("--target", type=Path, default=Path("fonts/ZenMaruGothic_400Regular.ttf"))
    parser.add_argument("--every", type=int, default=9, help="score every N-th train character")
    parser.add_argument("--beam", type=int, default=3)
    parser.add_argument("--max-fonts", type=int, default=6)
    args = parser.parse_args()
    fonts = [args.src, *args.candidates]
    try:
        data = Dataset.open(args.data)
        codepoints = data.read_split("train").codepoint[:: args.every]
        with tempfile.TemporaryDirectory() as tmp:
            charset = Path(tmp) / "characters.txt"
            charset.write_text("".join(map(chr, codepoints.tolist())), encoding="utf-8")
            rendered = [
                render(f, args.target, charset, data.glyph_px, Path(tmp) / f"f{i}")
                for i, f in enumerate(fonts)
            ]
    except GlyphrenderError as exc:
        print(f"blend_search.py: {exc}", file=sys.stderr)
        return 1
    order, _, target = rendered[0]  # the source draws them all, so its rows are the glyphs
    stack = np.zeros((len(fonts), *target.shape), np.uint8)
    drawn = np.zeros((len(fonts), len(order)), bool)
    row_of = {int(cp): row for row, cp in enumerate(order)}
    for i, (cps, glyphs, _) in enumerate(rendered):
        rows = [row_of[int(cp)] for cp in cps]
        stack[i, rows], drawn[i, rows] = glyphs, True
    target_skeletons = [skeletonize(t >= 128) for t in target]
    print(
        f"{len(order)} train characters of {args.data} (every {args.every}th), "
        f"target {args.target}, source {args.src}"
    )
    for size, level in search(stack, drawn, target_skeletons, args.beam, args.max_fonts):
        f1, members = level[0]
        names = " + ".join(Path(fonts[m].split("#")[0]).stem for m in members[1:]) or "alone"
        print(f"{size} fonts  skeleton F1 {f1:.4f}  {names}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
