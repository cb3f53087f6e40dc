"""Several source designs in one input: a dataset whose source glyph is the mean of several fonts'.

    python3 studies/quality-30min/blend_source.py --out data/blend2maru-jp64 \\
        fonts/NotoSansCJK-Regular.ttc#0 fonts/BIZUDPGothic_400Regular.ttf \\
        fonts/KiwiMaru_400Regular.ttf fonts/NotoSerifJP_400Regular.ttf \\
        [--target fonts/ZenMaruGothic_400Regular.ttf] [--skeleton-only]

The `kaku2maru` diagnostic puts the plateau in the source's skeletons. No single font at hand
has skeletons closer to Zen Maru's than Noto's (``source_copy.py``), but several designers'
placements, averaged, might: where they disagree, the mean shows it as grey. This builds each
font against the target (glyphrender's build, 64 px, the study's placement and split, so the
same 6,016 / 666 characters), then writes one dataset whose source image is the per-pixel mean
of the fonts that draw the character (the first font must draw them all) and whose target is
the target's. The manifest is the first font's, with the new shards, no ``missing`` split and
a ``blended_sources`` list. It prints each source's and the blend's copy ink IoU and skeleton
F1 against the target on the val characters (``--skeleton-only`` stops there, writing nothing).

Skeleton F1: both glyphs thinned to one-pixel skeletons (ink = coverage >= 128), a skeleton
pixel counts as matched if the other skeleton passes within one pixel of it; F1 of the two
match rates, averaged over glyphs. Unlike copy IoU it does not count stroke weight: Zen Kaku
Gothic New (Zen Maru's skeletons, square ends) scores 0.97, Noto Sans CJK JP 0.78.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from glyphrender.atomic import publish_dir, staging_dir
from glyphrender.dataset.build import BuildConfig, build_dataset
from glyphrender.dataset.shard_writer import ShardWriter
from glyphrender.dataset.shards import Dataset, GlyphBatch, write_manifest
from glyphrender.errors import GlyphrenderError
from glyphrender.fonts.loading import FontRef
from glyphrender.metrics import ink_iou
from glyphrender.rendering.render import RenderOptions
from skimage.morphology import dilation, disk, skeletonize

SPLITS = ("train", "val")


def skeleton_f1(source: np.ndarray, target: np.ndarray) -> float:
    """Mean over glyphs of the F1 of skeleton pixels matched within one pixel (see above)."""
    near = disk(1)
    scores = []
    for a_img, b_img in zip(source, target, strict=True):
        a, b = skeletonize(a_img >= 128), skeletonize(b_img >= 128)
        if not a.any() or not b.any():
            continue
        precision = (a & dilation(b, near)).sum() / a.sum()
        recall = (b & dilation(a, near)).sum() / b.sum()
        scores.append(
            0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        )
    return float(np.mean(scores))


def build_one(source: str, target: Path, out: Path) -> Dataset:
    """The study's build of ``source`` against ``target`` (64 px, default cjk charset)."""
    config = BuildConfig(
        source=FontRef.parse(source),
        targets=(FontRef.parse(str(target)),),
        out=out,
        render=RenderOptions(glyph_px=64),
    )
    build_dataset(config)
    return Dataset.open(out)


def blend(split: str, datasets: list[Dataset]) -> GlyphBatch:
    """The first dataset's samples of ``split``, each source the mean over the fonts that draw it."""
    head = datasets[0].read_split(split)
    total = head.source.astype(np.float32)
    count = np.ones(len(head), np.float32)
    row = {int(c): i for i, c in enumerate(head.codepoint)}
    for other in datasets[1:]:
        batch = other.read_split(split)
        for j, c in enumerate(batch.codepoint.tolist()):
            if (i := row.get(c)) is not None:
                total[i] += batch.source[j]
                count[i] += 1
    mean = np.rint(total / count[:, None, None]).astype(np.uint8)
    return GlyphBatch(mean, head.target, head.codepoint, head.style)


def write_blend(out: Path, datasets: list[Dataset], fonts: list[str]) -> None:
    """The blended dataset into ``out``, published whole (a staging folder, then a rename)."""
    manifest = datasets[0].manifest.to_json()
    with staging_dir(out) as stage:
        splits = {}
        for split in SPLITS:
            writer = ShardWriter(stage, split, 1000)
            writer.add(blend(split, datasets))
            entries = writer.close()
            splits[split] = {"count": sum(e["count"] for e in entries), "shards": entries}
        manifest["splits"] = splits
        manifest["blended_sources"] = fonts
        write_manifest(stage, manifest)
        publish_dir(stage, out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="FONT",
        help="FILE or FILE#FACE; the first draws every character",
    )
    parser.add_argument("--target", type=Path, default=Path("fonts/ZenMaruGothic_400Regular.ttf"))
    parser.add_argument(
        "--out", type=Path, help="the blended dataset (required unless --skeleton-only)"
    )
    parser.add_argument(
        "--skeleton-only", action="store_true", help="print the scores, write nothing"
    )
    args = parser.parse_args()
    if args.out is None and not args.skeleton_only:
        parser.error("--out is required unless --skeleton-only")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            datasets = [
                build_one(s, args.target, Path(tmp) / f"source-{i}")
                for i, s in enumerate(args.sources)
            ]
            target = datasets[0].read_split("val").target
            for name, data in zip(args.sources, datasets, strict=True):
                own = data.read_split("val")
                print(
                    f"{name}: copy ink IoU {ink_iou(own.source, own.target).mean():.4f}, "
                    f"skeleton F1 {skeleton_f1(own.source, own.target):.4f} ({len(own)} val characters)"
                )
            mixed = blend("val", datasets)
            print(
                f"blend of {len(datasets)}: copy ink IoU {ink_iou(mixed.source, target).mean():.4f}, "
                f"skeleton F1 {skeleton_f1(mixed.source, target):.4f} ({len(mixed)} val characters)"
            )
            if not args.skeleton_only:
                write_blend(args.out, datasets, args.sources)
                print(f"wrote {args.out}")
    except (GlyphrenderError, OSError) as exc:
        print(f"blend_source.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
