"""By eye: what runs draw for characters whose Japanese and Taiwanese forms differ plainly.

    python3 studies/quality-30min/form_picture.py RUN [RUN ...] --out PNG [--count 32]

No target says what Zen Maru Gothic's style would be for the ``big5-han`` characters it
lacks, so ``tc_side.py``'s form fidelity (nearer Noto Sans CJK's TC glyph than its JP glyph)
is the only number there. This picture shows the drawings themselves: ``--count`` of the held-out
characters whose JP and TC glyphs differ plainly (ink IoU below 0.8 to each other), evenly
spread over their code points. Each character is one cell: the JP face | each run's drawing
from the TC face (in the order given) | the TC face. It prints, per run, the shown
characters it does not draw nearer the TC glyph (tc_side.py's test). The runs may be trained on different datasets (the
inputs are rendered by each run's own dataset, as ``zi2zi generate --src …#3`` does).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import torch
from glyphrender.atomic import write_bytes_atomic
from tc_side import CLEAR_BELOW, JP_FACE, TC_FACE, face_glyphs, held_out, tc_inputs
from zi2zi_core.evaluation.generate import open_run_dataset
from zi2zi_core.evaluation.metrics import ink_iou
from zi2zi_core.rundir.checkpoint import load_for_inference

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tc-font"))
from measure import differing, generate, sheet, unit  # noqa: E402  (studies/tc-font)

CELLS_PER_ROW, GAP_PX = 4, 8


def shown_characters(held: np.ndarray, jp: np.ndarray, tc: np.ndarray, count: int) -> np.ndarray:
    """Indices into ``held`` of ``count`` plainly differing characters, evenly spread."""
    plain = np.flatnonzero(differing(held) & (ink_iou(unit(jp), unit(tc)).numpy() < CLEAR_BELOW))
    picks = np.linspace(0, len(plain) - 1, min(count, len(plain))).round().astype(int)
    return plain[np.unique(picks)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True, help="the picture (PNG)")
    parser.add_argument("--count", type=int, default=32, help="characters shown (default 32)")
    args = parser.parse_args()
    datasets = [open_run_dataset(load_for_inference(r, which="last"), None) for r in args.runs]
    held = held_out(datasets[0])
    jp_all, tc_all = (face_glyphs(datasets[0], held, face) for face in (JP_FACE, TC_FACE))
    rows = shown_characters(held, jp_all, tc_all, args.count)
    jp, tc, codepoints = jp_all[rows], tc_all[rows], held[rows]
    columns = [jp]
    for run, dataset in zip(args.runs, datasets, strict=True):
        drawn = torch.from_numpy(generate(run, tc_inputs(dataset, codepoints, None))).float()
        nearer_jp = (ink_iou(drawn, unit(jp)) >= ink_iou(drawn, unit(tc))).numpy()
        shown = "".join(chr(int(c)) for c in codepoints[nearer_jp])
        print(f"{run}: {int(nearer_jp.sum())} of {len(rows)} not nearer the TC glyph: {shown}")
        columns.append((drawn.numpy() * 255).round().astype(np.uint8))
    columns.append(tc)
    buffer = io.BytesIO()
    sheet(columns, CELLS_PER_ROW, GAP_PX).save(buffer, format="PNG")
    write_bytes_atomic(args.out, buffer.getvalue(), "the picture")
    print(f"{args.out}: {len(rows)} characters: {''.join(chr(int(c)) for c in codepoints)}")


if __name__ == "__main__":
    main()
