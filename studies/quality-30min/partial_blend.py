"""A blended dataset whose train sources are blends of random subsets of its fonts.

    python3 studies/quality-30min/partial_blend.py data/six2maru-jp64 data/partial2maru-jp64

A model trained on a blended source (``glyphrender build --blend``) meets, when it generates,
the characters the blend fonts draw as full blends and the others as blends of fewer fonts,
down to the source alone: the Japanese blend fonts draw almost none of the Big5 characters
Zen Maru Gothic lacks. Trained on full blends only, it draws the val characters from Noto
Sans CJK JP alone at 0.70 (``zi2zi eval --shards data/maru-jp64``), below the 0.74 of a model
trained on Noto alone. This copies a blended dataset and draws each *train* character's source
again from the source font and a random subset of the blend fonts, by the build's own rule
(``BlendRenderer`` with the manifest's renderers): the subset's size uniform from none to all,
its members uniform among the subsets of that size (seeded, so the same every time). The val
and missing splits are copied as they are (the full blend), so the val figures compare with
the pair it was copied from; the manifest is the copy's, with the new train shards' sizes and
checksums. Written under a temporary name, renamed when complete.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from dataset_copy import copy_with_sources
from glyphrender.dataset.rerender import (
    blend_renderers,
    open_recorded,
    render_options,
    renderer_for,
)
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import DatasetError, GlyphrenderError
from glyphrender.rendering.blend import BlendRenderer

SEED = 25  # the number: one fixed draw of the subsets


def partial_sources(
    data: Dataset, codepoints: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(N, px, px) sources, each the blend of the source and a random subset of the blend
    fonts, and (N,) the subset sizes drawn."""
    options = render_options(data)
    entry = data.source_font
    source = renderer_for(open_recorded(entry).sfnt_bytes, entry, options)
    blend = blend_renderers(data)
    if not blend:
        raise DatasetError(f"{data.path}: its build blended no fonts (glyphrender build --blend)")
    rng = np.random.default_rng(seed)
    images = np.zeros((len(codepoints), data.glyph_px, data.glyph_px), np.uint8)
    sizes = rng.integers(0, len(blend) + 1, size=len(codepoints))
    for row, (cp, size) in enumerate(zip(codepoints.tolist(), sizes.tolist(), strict=True)):
        members = sorted(rng.choice(len(blend), size=size, replace=False).tolist())
        BlendRenderer([source, *(blend[m] for m in members)]).render_into(cp, images[row])
    return images, sizes


def copy_partial(data_dir: Path, out: Path, seed: int) -> np.ndarray:
    """Write the copy (see above) to ``out``; the subset sizes drawn per train character."""
    data = Dataset.open(data_dir)
    sources, sizes = partial_sources(data, data.read_split("train").codepoint, seed)
    copy_with_sources(data_dir, out, {"train": sources})
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a dataset built with glyphrender build --blend")
    parser.add_argument("out", type=Path, help="the new dataset folder (must not exist)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    if args.out.exists():
        print(f"partial_blend.py: {args.out}: already exists", file=sys.stderr)
        return 1
    try:
        sizes = copy_partial(args.data, args.out, args.seed)
    except GlyphrenderError as exc:
        print(f"partial_blend.py: {exc}", file=sys.stderr)
        return 1
    counts = np.bincount(sizes)
    print(
        f"wrote {args.out}: {len(sizes)} train sources, blend fonts per source "
        + ", ".join(f"{k}: {c}" for k, c in enumerate(counts.tolist()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
