"""Is a closer source at hand? Copy-the-source ink IoU of candidate source fonts on the study's val characters.

    python3 studies/quality-30min/source_copy.py fonts/NotoSansJP_400Regular.ttf \\
        fonts/KiwiMaru_400Regular.ttf ... [--data data/maru-jp64] \\
        [--target fonts/ZenMaruGothic_400Regular.ttf]

The `kaku2maru` diagnostic puts the gap left in the source: given the target's skeletons, the
network draws unseen characters at 0.93. So a source whose glyphs copy onto the target better
than Noto Sans CJK JP's might be worth more than any recipe. For each candidate this renders
it against the target (glyphrender's build, 64 px, the study's placement) on the val characters
of ``--data`` and prints the mean ink IoU of source against target over the characters both
draw, with their count. Builds in a temporary folder; writes nothing else.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from glyphrender.dataset.build import BuildConfig, build_dataset
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import GlyphrenderError
from glyphrender.fonts.loading import FontRef
from glyphrender.metrics import ink_iou
from glyphrender.rendering.render import RenderOptions


def copy_iou(source: Path, target: Path, charset: Path, glyph_px: int, out: Path) -> tuple:
    """(mean ink IoU of source against target, characters both draw) over ``charset``;
    the pairs are built into ``out``."""
    config = BuildConfig(
        source=FontRef.parse(str(source)),
        targets=(FontRef.parse(str(target)),),
        out=out,
        charset=(str(charset),),
        render=RenderOptions(glyph_px=glyph_px),  # the study's placement and margin
        val_fraction=1.0,
    )
    build_dataset(config)
    pairs = Dataset.open(out).read_split("val")
    return float(ink_iou(pairs.source, pairs.target).mean()), len(pairs.source)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, nargs="+", metavar="FONT")
    parser.add_argument("--data", type=Path, default=Path("data/maru-jp64"))
    parser.add_argument("--target", type=Path, default=Path("fonts/ZenMaruGothic_400Regular.ttf"))
    args = parser.parse_args()
    try:
        data = Dataset.open(args.data)
        val = data.read_split("val")
        with tempfile.TemporaryDirectory() as tmp:
            charset = Path(tmp) / "val-characters.txt"
            charset.write_text("".join(map(chr, val.codepoint.tolist())), encoding="utf-8")
            print(f"{len(val.codepoint)} val characters of {args.data}, target {args.target}")
            for i, source in enumerate(args.sources):
                out = Path(tmp) / f"source-{i}"  # one font file may give several faces
                iou, count = copy_iou(source, args.target, charset, data.glyph_px, out)
                print(f"{source.name:36s} {count:4d} drawn   copy ink IoU {iou:.4f}")
    except GlyphrenderError as exc:
        print(f"source_copy.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
