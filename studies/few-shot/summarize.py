#!/usr/bin/env python3
"""The few-shot study's tables (issue 17), from the runs studies/few-shot/study.sh wrote.

Usage::

    python3 studies/few-shot/summarize.py [--study runs/fewshot-study] \\
        [--json studies/few-shot/study-64px.json] [--forms-fonts fonts]

Reads each cell's val table of ``zi2zi eval --checkpoint last`` and its metrics.jsonl through
zi2zi_core.evaluation.compare (paths from RunDir) and prints Markdown: the N x {scratch, fine-tuned} table on the
full val split beside copy-the-source, with the val curve, steps and wall time of each cell;
then the source comparison (Noto Sans TC -> Zen Maru against Noto Sans JP -> Zen Maru, both
from scratch on all train characters) on the val characters both datasets share, split into the
characters whose Noto Sans TC form differs from the Japanese one (ink IoU < 0.8 between Noto
Sans TC and Noto Sans JP, compare's ``same_form``) and the rest.

Exit codes: 0 written, 1 a run cannot be read (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from glyphrender.atomic import write_text_atomic
from glyphrender.errors import GlyphrenderError
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.compare import read_per_glyph, same_form, subset_means, val_curve
from zi2zi_core.rundir.layout import RunDir

SIZES = ("100", "300", "1000", "all")
STARTS = {"scratch": "from scratch", "finetune": "fine-tuned"}
TC, JP = "NotoSansTC_400Regular.ttf", "NotoSansJP_400Regular.ttf"


def cell_name(n: str, start: str) -> str:
    return f"n{n}-{start}" if n != "all" else f"all-{start}"


def wall_minutes(log: Path) -> float | None:
    """Minutes between the ``start``/``end`` stamps study.sh writes (train + eval)."""
    stamps = {}
    if not log.is_file():  # a cell run by hand, not by study.sh
        return None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        word, _, rest = line.partition(" ")
        if word in ("start", "end") and rest.endswith("Z"):
            stamps[word] = datetime.strptime(rest, "%Y-%m-%dT%H:%M:%SZ")
    if len(stamps) < 2:
        return None
    return (stamps["end"] - stamps["start"]).total_seconds() / 60


def cell(study: Path, name: str) -> dict:
    run = RunDir(study / name)
    train = json.loads(run.config_json.read_text(encoding="utf-8"))["train"]
    return {
        "rows": read_per_glyph(run, "last"),
        "steps": train["steps"],
        "shards": train["shards"],
        "wall_min": wall_minutes(study / f"{name}.log"),
        # the trainer's validations (EMA generator, full val split): step, L1, IoU
        "val_curve": [
            {"step": v["step"], "l1": v["val_l1"], "iou": v["val_iou"]} for v in val_curve(run)
        ],
    }


def study_table(cells: dict[str, dict]) -> tuple[str, dict]:
    lines = [
        "| N | start | train chars | val L1 | val SSIM | val ink IoU | val IoU at 300 | "
        "wall (min) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    out = {}
    for n in SIZES:
        for start, label in STARTS.items():
            name = cell_name(n, start)
            if name not in cells:
                continue
            c = cells[name]
            m = subset_means(c["rows"])
            mid = next((v["iou"] for v in c["val_curve"] if v["step"] == 300), None)
            out[name] = {**m, "steps": c["steps"], "wall_min": c["wall_min"]}
            out[name]["val_curve"] = c["val_curve"]
            wall = f"{c['wall_min']:.0f}" if c["wall_min"] is not None else "?"
            mid_text = f"{mid:.3f}" if mid is not None else "?"
            lines.append(
                f"| {n} | {label} | {'6,016' if n == 'all' else n} | {m['model']['l1']:.4f} | "
                f"{m['model']['ssim']:.4f} | {m['model']['ink_iou']:.4f} | {mid_text} | {wall} |"
            )
    copy = subset_means(next(iter(cells.values()))["rows"])["copy_source"]
    lines.append(
        f"| – | copy the source | – | {copy['l1']:.4f} | {copy['ssim']:.4f} | "
        f"{copy['ink_iou']:.4f} | – | – |"
    )
    return "\n".join(lines), out


def source_table(jp: dict, tc: dict, fonts: Path) -> tuple[str, dict]:
    shared = sorted(set(jp["rows"]) & set(tc["rows"]))
    same = same_form(fonts / TC, fonts / JP, shared, 64)
    subsets = {
        "shared val": set(shared),
        "TC form differs": set(shared) - same,
        "same form": set(shared) & same,
    }
    lines = [
        "| val characters | n | JP->Maru L1 | JP->Maru IoU | TC->Maru L1 | TC->Maru IoU | "
        "copy JP L1 / IoU | copy TC L1 / IoU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    out = {}
    for label, keep in subsets.items():
        a, b = subset_means(jp["rows"], keep), subset_means(tc["rows"], keep)
        out[label] = {"jp_source": a, "tc_source": b}
        lines.append(
            f"| {label} | {a['count']} | {a['model']['l1']:.4f} | {a['model']['ink_iou']:.4f} | "
            f"{b['model']['l1']:.4f} | {b['model']['ink_iou']:.4f} | "
            f"{a['copy_source']['l1']:.4f} / {a['copy_source']['ink_iou']:.4f} | "
            f"{b['copy_source']['l1']:.4f} / {b['copy_source']['ink_iou']:.4f} |"
        )
    return "\n".join(lines), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", type=Path, default=Path("runs/fewshot-study"))
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("--forms-fonts", type=Path, default=Path("fonts"))
    args = parser.parse_args(argv)
    names = [cell_name(n, s) for n in SIZES for s in STARTS] + ["tc-all-scratch"]
    evaluated = [n for n in names if RunDir(args.study / n).eval_report_dir("last", "val").is_dir()]
    try:
        cells = {n: cell(args.study, n) for n in evaluated}
    except (OSError, KeyError, ValueError, Zi2ziError) as exc:
        print(f"summarize: error: {exc}", file=sys.stderr)
        return 1
    tc = cells.pop("tc-all-scratch", None)
    text, numbers = study_table(cells)
    print(text)
    result = {"cells": numbers}
    if tc is not None and "all-scratch" in cells:
        print()
        try:
            text, result["source_choice"] = source_table(cells["all-scratch"], tc, args.forms_fonts)
        except GlyphrenderError as exc:
            print(f"summarize: error: {exc}", file=sys.stderr)
            return 1
        print(text)
    if args.json is not None:
        write_text_atomic(args.json, json.dumps(result, indent=1) + "\n", "the results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
