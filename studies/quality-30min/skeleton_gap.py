"""Is the plateau the source's skeleton? A run's val ink IoU by how far the source's skeletons are from the target's.

    python3 studies/quality-30min/skeleton_gap.py runs/quality-30min/maru-quality-zoo-s1 \\
        --proxy runs/quality-30min/kaku-quality-zoo-s1 \\
        --matched runs/quality-30min/kaku2maru-quality-s1

Zen Kaku Gothic New and Zen Maru Gothic are sister designs: the same skeletons, square against
round stroke ends. So how far Noto Sans CJK JP draws a character from Zen Maru's skeleton can
be read off how well Noto's glyph copies onto Zen Kaku's: the copy-the-source ink IoU per glyph
of a `kaku` run (``--proxy``), a pair whose stroke styles are alike. The val glyphs are cut into
quarters by that IoU. For each quarter the script prints copying the source and the model of
RUN (Noto → Zen Maru), and the model of ``--matched`` (Zen Kaku → Zen Maru: the same characters
with the target's skeletons in the source). Reads only the runs' ``zi2zi eval`` tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.compare import read_per_glyph

QUARTERS = 4


def _column(rows: dict[int, dict[str, float]], keys: list[int], name: str) -> np.ndarray:
    return np.array([rows[k][name] for k in keys])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a Noto Sans CJK JP -> Zen Maru Gothic run")
    parser.add_argument("--proxy", type=Path, required=True, help="a Noto -> Zen Kaku run")
    parser.add_argument("--matched", type=Path, required=True, help="a Zen Kaku -> Zen Maru run")
    args = parser.parse_args()
    try:
        run, proxy, matched = (read_per_glyph(p) for p in (args.run, args.proxy, args.matched))
    except Zi2ziError as exc:
        print(f"skeleton_gap.py: {exc}", file=sys.stderr)
        return 1
    keys = sorted(set(run) & set(proxy) & set(matched))
    if len(keys) < QUARTERS:
        print(f"skeleton_gap.py: the runs share {len(keys)} val glyphs", file=sys.stderr)
        return 1
    distance = _column(proxy, keys, "copy_source_ink_iou")  # Noto vs Zen Kaku's skeleton
    columns = {
        "copy Noto": _column(run, keys, "copy_source_ink_iou"),
        "model Noto": _column(run, keys, "model_ink_iou"),
        "model Kaku": _column(matched, keys, "model_ink_iou"),
    }
    print(f"{len(keys)} val glyphs; quarters by Noto Sans CJK JP vs Zen Kaku ink IoU")
    print("quarter  Noto~Kaku   " + "  ".join(f"{name:>10}" for name in columns))
    order = np.argsort(distance, kind="stable")
    for i, part in enumerate(np.array_split(order, QUARTERS), 1):
        lo, hi = distance[part].min(), distance[part].max()
        means = "  ".join(f"{values[part].mean():10.4f}" for values in columns.values())
        print(f"{i} (n={len(part)})  {lo:.2f}-{hi:.2f}   {means}")
    means = "  ".join(f"{values.mean():10.4f}" for values in columns.values())
    print(f"all                  {means}")
    corr = np.corrcoef(distance, columns["model Noto"])[0, 1]
    print(f"correlation of Noto~Kaku with model Noto: {corr:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
