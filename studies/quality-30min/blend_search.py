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
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import GlyphrenderError
from glyphrender.rendering.blend import mean_ink
from skimage.morphology import skeletonize
from source_copy import build_pairs, skeleton_f1_against  # this folder: run as a script


def render(font: str, target: Path, charset: Path, glyph_px: int, out: Path):
    """The (codepoints, font glyphs, target glyphs) the font and the target both draw."""
    pairs = build_pairs([font], target, charset, glyph_px, out)
    return pairs.codepoint, pairs.source, pairs.target


def blend(stack: np.ndarray, drawn: np.ndarray, members: tuple[int, ...]) -> np.ndarray:
    """The members' blend of every glyph, by the build's rule (``mean_ink``)."""
    chosen = list(members)
    return mean_ink(stack[chosen], drawn[chosen])


def search(stack, drawn, target_skeletons, beam: int, max_fonts: int):
    """Yield (size, [(f1, members), ...] best first) for each blend size from 1."""
    level = [(skeleton_f1_against(stack[0], target_skeletons), (0,))]
    yield 1, level
    for size in range(2, max_fonts + 1):
        grown = {tuple(sorted(m + (c,))) for _, m in level[:beam] for c in range(1, len(stack))}
        grown = {m for m in grown if len(set(m)) == size}
        if not grown:
            return
        level = sorted(
            ((skeleton_f1_against(blend(stack, drawn, m), target_skeletons), m) for m in grown),
            reverse=True,
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
