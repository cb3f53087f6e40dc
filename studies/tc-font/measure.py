#!/usr/bin/env python3
"""Issue 20 study, measuring half: style and form fidelity of the runs of train.sh.

For each run (JP-face or TC-face Noto Sans CJK -> Zen Maru Gothic, seeds 1 and 2, checkpoint
``last``) on the 542 val characters both datasets share:

- style: ink IoU and L1 against Zen Maru Gothic's own glyph, fed the run's own source and the
  other face (the val characters and their rendering are those of the two datasets' shards,
  which are what ``zi2zi generate --src fonts/NotoSansCJK-Regular.ttc#N`` draws), beside
  copying the source; also on the subsets whose JP/TC glyphs differ or not;
- form fidelity: fed the TC face, on the characters whose JP/TC glyphs differ (val, and the
  held-out missing characters, which no run saw), the share of generated glyphs whose ink IoU
  with the TC source is higher than with the JP source (ties counted apart);
- calibration on the same val characters at 64 px: Zen Kaku Gothic New copied onto Zen Maru
  Gothic, Zen Maru Gothic shifted 1 px right against itself;
- a picture of 32 val characters Zen Maru draws in the JP form: its own | generated from the TC
  face by the JP-trained seed-1 run | the TC face.

JP/TC "differ" is exact: the two faces of the collection share one glyph set, so a code point
whose cmaps name different glyphs has different forms (glyph identity, as ``glyphrender forms``
decides for faces of one collection).

Usage: python studies/tc-font/measure.py [--runs runs/tc-font] [--out studies/tc-font]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
from pathlib import Path

import numpy as np
import torch
from glyphrender.dataset.shards import Dataset
from glyphrender.dataset.sourcelist import open_source_list
from glyphrender.fonts.forms import compare_by_identity, shares_glyph_set
from glyphrender.fonts.loading import FontRef, open_font
from PIL import Image
from zi2zi_core.evaluation.generate import iter_generated
from zi2zi_core.evaluation.metrics import ink_iou, l1
from zi2zi_core.models.imaging import to_unit
from zi2zi_core.rundir.checkpoint import load_for_inference
from zi2zi_core.rundir.layout import RunDir

COLLECTION = "fonts/NotoSansCJK-Regular.ttc"
JP_FACE, TC_FACE = 0, 3
KAKU = "fonts/ZenKakuGothicNew_400Regular.ttf"
RUNS = ("jp-s1", "tc-s1", "jp-s2", "tc-s2")
PICTURE_CHARS = 32


def unit(u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(u8).float().div_(255.0)


def generate(run: Path, sources: np.ndarray) -> np.ndarray:
    """The run's last EMA generator over (N, H, W) uint8 sources: (N, H, W) float in [0, 1]."""
    bundle = load_for_inference(run, which="last", device="cpu")
    styles = np.zeros(len(sources), dtype=np.int64)
    out = [
        to_unit(fake[:, 0])
        for _, fake in iter_generated(bundle.generator, sources, styles, 64, "cpu")
    ]
    return torch.cat(out).numpy()


def scores(pred: np.ndarray, target: np.ndarray, rows: np.ndarray) -> dict[str, float]:
    p, t = torch.from_numpy(pred[rows]).float(), torch.from_numpy(target[rows]).float()
    return {
        "n": int(len(rows)),
        "ink_iou": round(float(ink_iou(p, t).mean()), 4),
        "l1": round(float(l1(p, t).mean()), 4),
    }


def differing(codepoints: np.ndarray) -> np.ndarray:
    """(N,) bool: the JP and TC faces draw the code point in different forms, decided as
    `glyphrender forms` decides it (exact: different glyph IDs in the faces' shared glyph set)."""
    jp, tc = (open_font(FontRef(Path(COLLECTION), face)) for face in (JP_FACE, TC_FACE))
    if not shares_glyph_set(jp, tc):
        raise SystemExit(f"{COLLECTION}: faces {JP_FACE} and {TC_FACE} share no glyph set")
    _, different = compare_by_identity(jp, tc, {int(c) for c in codepoints})
    return np.isin(codepoints, np.array(different, dtype=codepoints.dtype))


def split_pair(jp: Dataset, tc: Dataset, split: str):
    a, b = jp.read_split(split), tc.read_split(split)
    oa, ob = np.argsort(a.codepoint), np.argsort(b.codepoint)
    if not np.array_equal(a.codepoint[oa], b.codepoint[ob]):
        raise SystemExit(f"the {split} splits of the two datasets hold different characters")
    target = None if a.target is None else a.target[oa]
    return a.codepoint[oa], a.source[oa], b.source[ob], target


def fidelity(gen: np.ndarray, jp_src: np.ndarray, tc_src: np.ndarray, rows: np.ndarray) -> dict:
    g = torch.from_numpy(gen[rows]).float()
    to_tc = ink_iou(g, unit(tc_src[rows])).numpy()
    to_jp = ink_iou(g, unit(jp_src[rows])).numpy()
    closer_tc, ties = int((to_tc > to_jp).sum()), int((to_tc == to_jp).sum())
    return {
        "n": int(len(rows)),
        "closer_to_tc": closer_tc,
        "ties": ties,
        "share_closer_to_tc": round(closer_tc / max(len(rows), 1), 4),
        # None where no character's forms differ (a dataset of one form only)
        "mean_iou_to_tc": round(float(to_tc.mean()), 4) if len(rows) else None,
        "mean_iou_to_jp": round(float(to_jp.mean()), 4) if len(rows) else None,
    }


def calibration(jp: Dataset, cps: np.ndarray, target: np.ndarray) -> dict:
    kaku, _ = open_source_list(jp, [], source=KAKU).render(cps.tolist())
    shifted = np.zeros_like(target)
    shifted[:, :, 1:] = target[:, :, :-1]
    t = unit(target)
    return {
        "kaku_copy_ink_iou_64px": round(float(ink_iou(unit(kaku), t).mean()), 4),
        "maru_shift_1px_ink_iou_64px": round(float(ink_iou(unit(shifted), t).mean()), 4),
        "issue_figures": {
            "kaku_copy_64_and_256": 0.87,
            "shift_1px_64": 0.72,
            "shift_1px_256": 0.92,
        },
    }


def sheet(columns: list[np.ndarray], cells_per_row: int, gap_px: int) -> Image.Image:
    """Glyph columns side by side, one cell per character (``cells_per_row`` cells a row,
    ``gap_px`` between cells and rows): ink black on white, at 2x."""
    count, px = columns[0].shape[0], columns[0].shape[1]
    cell_w = len(columns) * px + gap_px
    rows = -(-count // cells_per_row)
    canvas = np.full((rows * (px + gap_px), cells_per_row * cell_w), 255, np.uint8)
    for k in range(count):
        y, x = (k // cells_per_row) * (px + gap_px), (k % cells_per_row) * cell_w
        for j, column in enumerate(columns):
            canvas[y : y + px, x + j * px : x + (j + 1) * px] = 255 - column[k]
    image = Image.fromarray(canvas)
    return image.resize((image.width * 2, image.height * 2), Image.NEAREST)


def picture(path: Path, cps, target, gen_tc, tc_src, jp_src, differ) -> list[str]:
    """32 val characters Zen Maru draws in the JP form (its glyph nearer the JP face than the TC
    face, by the widest margin): Zen Maru | generated from TC | TC face, 8 triplets a row."""
    t = unit(target)
    margin = (ink_iou(t, unit(jp_src)) - ink_iou(t, unit(tc_src))).numpy()
    margin[~differ] = -np.inf
    rows = np.argsort(-margin, kind="stable")[:PICTURE_CHARS]
    drawn = (gen_tc[rows] * 255).round().astype(np.uint8)
    sheet([target[rows], drawn, tc_src[rows]], cells_per_row=8, gap_px=6).save(path)
    return [chr(int(cps[r])) for r in rows]


def measure_run(run: Path, pairs: dict, differ: dict) -> dict:
    cps, jp_src, tc_src, target = pairs["val"]
    own = jp_src if run.name.startswith("jp") else tc_src
    other = tc_src if run.name.startswith("jp") else jp_src
    gen_own, gen_other = generate(run, own), generate(run, other)
    gen_tc = gen_other if run.name.startswith("jp") else gen_own
    t = target.astype(np.float32) / 255.0
    rows = {"all": np.arange(len(cps)), "jp_tc_differ": np.flatnonzero(differ["val"])}
    rows["jp_tc_same"] = np.flatnonzero(~differ["val"])
    _, m_jp, m_tc, _ = pairs["missing"]
    gen_missing_tc = generate(run, m_tc)
    return {
        "step": load_for_inference(run, which="last").step,
        "own_source": {k: scores(gen_own, t, v) for k, v in rows.items()},
        "other_source": {k: scores(gen_other, t, v) for k, v in rows.items()},
        "fidelity_val": fidelity(gen_tc, jp_src, tc_src, rows["jp_tc_differ"]),
        "fidelity_missing": fidelity(gen_missing_tc, m_jp, m_tc, np.flatnonzero(differ["missing"])),
        "_gen_tc": gen_tc,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/tc-font"))
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--out", type=Path, default=Path("studies/tc-font"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    jp, tc = Dataset.open(args.data / "maru64-big5-jp"), Dataset.open(args.data / "maru64-big5-tc")
    pairs = {s: split_pair(jp, tc, s) for s in ("val", "missing")}
    differ = {s: differing(pairs[s][0]) for s in pairs}
    cps, jp_src, tc_src, target = pairs["val"]
    t = unit(target)
    result = {
        "val_chars": len(cps),
        "val_jp_tc_differ": int(differ["val"].sum()),
        "missing_chars": len(pairs["missing"][0]),
        "missing_jp_tc_differ": int(differ["missing"].sum()),
        "copy_source": {
            name: {
                part: {
                    "ink_iou": round(float(ink_iou(unit(src[r]), t[r]).mean()), 4),
                    "l1": round(float(l1(unit(src[r]), t[r]).mean()), 4),
                }
                for part, r in (
                    ("all", np.arange(len(cps))),
                    ("jp_tc_differ", differ["val"]),
                    ("jp_tc_same", ~differ["val"]),
                )
            }
            for name, src in (("jp", jp_src), ("tc", tc_src))
        },
        "calibration": calibration(jp, cps, target),
        "runs": {},
    }
    for name in RUNS:
        run = args.runs / name
        if RunDir(run).checkpoints.is_dir():
            result["runs"][name] = measure_run(run, pairs, differ)
            print(
                name, json.dumps({k: v for k, v in result["runs"][name].items() if k != "_gen_tc"})
            )
    if "jp-s1" in result["runs"]:
        gen_tc = result["runs"]["jp-s1"]["_gen_tc"]
        chars = picture(
            args.out / "regional-32.png", cps, target, gen_tc, tc_src, jp_src, differ["val"]
        )
        result["picture"] = {"file": "regional-32.png", "run": "jp-s1", "chars": "".join(chars)}
    for r in result["runs"].values():
        r.pop("_gen_tc")
    result["machine"] = {"platform": platform.platform(), "processor": platform.processor()}
    result["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    (args.out / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
