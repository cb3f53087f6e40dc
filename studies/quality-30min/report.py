#!/usr/bin/env python3
"""Issue 25 study report: every run's numbers, its curve against minutes, the worst glyphs.

Usage::

    python3 studies/quality-30min/report.py [--runs runs/quality-30min] \\
        [--json studies/quality-30min/results-64px-cpu.json] [--plots studies/quality-30min] \\
        [--worst RUN_NAME]

Reads each finished run of ``run.sh`` (``PAIR-RECIPE-sSEED`` with its eval of the last
checkpoint) through zi2zi_core.evaluation.compare, and its ``.log`` for the start time and the
load averages. Writes the results file (glyph_px, minutes, steps, seed, val IoU / L1 / SSIM,
copy-the-source, the share of val glyphs at ink IoU >= 0.80, the curve, and for a blended pair
the val IoU when the model is given Noto alone (``eval/last-val-alone``); per pair and recipe the
means and the gain over the pair's baseline; ``pretrain.sh``'s zoo model where there is one),
charts of val ink IoU and val L1 against minutes
(one each per pair), and, for ``--worst`` (default: the run with the best val IoU on the tuned
pair's val characters, its blended source included), a picture of its 32 worst val glyphs by
ink IoU: source, generated, target. Runs recorded in the results file whose folders are gone
(the runs of earlier sessions, on another machine) keep their records; the worst-glyph picture
is drawn again only when the chosen run's folder is here.

Exit codes: 0 written, 1 a run or dataset cannot be read (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from statistics import mean

import numpy as np
from glyphrender.atomic import save_png_atomic, write_text_atomic
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import GlyphrenderError
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.compare import (
    PER_GLYPH_NAME,
    read_per_glyph,
    run_glyphs,
    side_by_side,
)
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.sweep.plots import line_chart

RUN_NAME = re.compile(r"^(?P<pair>[a-z0-9]+)-(?P<recipe>[a-z0-9-]+)-s(?P<seed>\d+)$")
GOOD_IOU = 0.80  # the share of val glyphs at or above this ink IoU is reported
WORST = 32
TUNED_PAIR = "maru"  # the pair the study tuned on; the others check its recipes
# A blended source (build --blend) is an input, not a recipe: such a pair has the same target
# and val characters as the pair named here, is measured against that pair's baseline and is
# drawn on its charts.
ALONE_SPLIT = "val-alone"  # eval/last-val-alone: run.sh's eval of a blended pair from Noto alone
SAME_VAL_AS = {
    "blend2maru": "maru",
    "blend2kaku": "kaku",
    "six2maru": "maru",
    "six2kaku": "kaku",
    "partial2maru": "maru",
    "serif2maru": "maru",
    "ref2maru": "maru",
}


def _log_facts(log: Path) -> dict:
    """Start time (unix seconds) and the load averages uptime printed before and after."""
    text = log.read_text(encoding="utf-8", errors="replace")
    start = re.search(r"^start (\S+)$", text, re.M)
    loads = re.findall(r"load average: ([\d.]+), ([\d.]+), ([\d.]+)", text)
    when = datetime.strptime(start.group(1), "%Y-%m-%dT%H:%M:%SZ") if start else None
    return {
        "start": when.replace(tzinfo=timezone.utc).timestamp() if when else None,
        "load_start": [float(x) for x in loads[0]] if loads else None,
        "load_end": [float(x) for x in loads[-1]] if len(loads) > 1 else None,
    }


def _timeline(run: Path) -> tuple[dict, dict]:
    """A run's config, and what its log and metrics say about time: the last step, the
    minutes from start to the last record, the load averages and the val curve."""
    config = json.loads(RunDir(run).config_json.read_text(encoding="utf-8"))
    facts = _log_facts(run.with_name(run.name + ".log"))
    records = read_metrics(run)
    start = facts["start"] or records[0]["time"]
    return config, {
        "steps": max(rec["step"] for rec in records),
        "minutes": round((max(rec["time"] for rec in records) - start) / 60, 2),
        "load_start": facts["load_start"],
        "load_end": facts["load_end"],
        "curve": [
            {
                "minutes": round((rec["time"] - start) / 60, 2),
                "step": rec["step"],
                "val_iou": rec["val_iou"],
                "val_l1": rec["val_l1"],
            }
            for rec in records
            if rec.get("kind") == "val"
        ],
    }


def run_record(run: Path) -> dict:
    """One run's numbers (see the module docstring)."""
    parts = RUN_NAME.match(run.name)
    config, timeline = _timeline(run)
    rows = read_per_glyph(run, "last")
    model_iou = np.array([r["model_ink_iou"] for r in rows.values()])
    seen = RunDir(run).eval_report_dir("last", "train") / PER_GLYPH_NAME  # optional
    train_rows = read_per_glyph(run, "last", "train") if seen.is_file() else {}
    # run.sh's eval of a blended pair from Noto alone (eval/last-val-alone), where it was run
    alone = RunDir(run).eval_report_dir("last", ALONE_SPLIT) / PER_GLYPH_NAME
    alone_rows = read_per_glyph(run, "last", ALONE_SPLIT) if alone.is_file() else {}
    return {
        "name": run.name,
        "pair": parts["pair"],
        "recipe": parts["recipe"],
        "seed": int(parts["seed"]),
        "preset": config["train"].get("preset", ""),
        "glyph_px": config["model"]["glyph_px"],
        "batch_size": config["train"]["batch_size"],
        "steps": timeline["steps"],
        "minutes": timeline["minutes"],
        "val_iou": float(model_iou.mean()),
        "val_l1": float(mean(r["model_l1"] for r in rows.values())),
        "val_ssim": float(mean(r["model_ssim"] for r in rows.values())),
        "copy_iou": float(mean(r["copy_source_ink_iou"] for r in rows.values())),
        "copy_l1": float(mean(r["copy_source_l1"] for r in rows.values())),
        "val_count": len(rows),
        "share_iou_ge_080": float((model_iou >= GOOD_IOU).mean()),
        # `zi2zi eval --checkpoint last --split train`, where it was run: seen characters
        "train_iou": mean(r["model_ink_iou"] for r in train_rows.values()) if train_rows else None,
        # a blended pair's model given the val characters from Noto alone (run.sh's second eval)
        "alone_iou": mean(r["model_ink_iou"] for r in alone_rows.values()) if alone_rows else None,
        "load_start": timeline["load_start"],
        "load_end": timeline["load_end"],
        "curve": timeline["curve"],
        "shards": config["train"]["shards"],
        "init_from": config["train"].get("init_from", ""),  # quality-zoo: the pretrained run
    }


def pretrain_record(run: Path) -> dict | None:
    """``pretrain.sh``'s run (what ``quality-zoo`` fine-tunes from): its steps, minutes, load
    and val curve on the zoo's val subset; None when there is none."""
    if not (run / "metrics.jsonl").is_file():
        return None
    config, timeline = _timeline(run)
    return {
        "name": run.name,
        "shards": config["train"]["shards"],
        "num_styles": config["model"]["num_styles"],
        **timeline,
    }


def summary(runs: list[dict]) -> dict:
    """Per pair and recipe: the seeds, the mean val IoU and L1, L1 over copy-the-source, and
    the mean val IoU's gain over the pair's baseline (where the pair has one)."""
    out: dict = {}
    for r in runs:
        out.setdefault(r["pair"], {}).setdefault(r["recipe"], []).append(r)
    result: dict = {}
    for pair, recipes in out.items():
        result[pair] = {
            recipe: {
                "seeds": [m["seed"] for m in members],
                "val_iou": mean(m["val_iou"] for m in members),
                "val_l1": mean(m["val_l1"] for m in members),
                "l1_over_copy": mean(m["val_l1"] / m["copy_l1"] for m in members),
                "share_iou_ge_080": mean(m["share_iou_ge_080"] for m in members),
                "minutes": mean(m["minutes"] for m in members),
                "alone_iou": (
                    mean(m["alone_iou"] for m in members)
                    if all(m["alone_iou"] is not None for m in members)
                    else None
                ),
            }
            for recipe, members in recipes.items()
        }
    for pair in result:
        baseline = result.get(SAME_VAL_AS.get(pair, pair), {}).get("baseline")
        for numbers in result[pair].values():
            numbers["iou_gain_over_baseline"] = (
                numbers["val_iou"] - baseline["val_iou"] if baseline else None
            )
    return result


def _or_dash(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def table(runs: list[dict]) -> str:
    lines = [
        "| run | steps | minutes | val IoU | share ≥ 0.80 | val L1 | L1 / copy | SSIM | train IoU "
        "| val IoU from Noto alone | load start → end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        load = f"{r['load_start'][0]:.2f} → {r['load_end'][0]:.2f}" if r["load_end"] else "?"
        lines.append(
            f"| {r['name']} | {r['steps']:,} | {r['minutes']:.1f} | {r['val_iou']:.4f} | "
            f"{r['share_iou_ge_080']:.1%} | {r['val_l1']:.4f} | {r['val_l1'] / r['copy_l1']:.3f} | "
            f"{r['val_ssim']:.4f} | {_or_dash(r['train_iou'])} | {_or_dash(r['alone_iou'])} "
            f"| {load} |"
        )
    return "\n".join(lines)


def worst_picture(run: dict, runs_dir: Path, path: Path) -> None:
    """Source, generated and target rows of the run's WORST val glyphs by ink IoU."""
    rows = read_per_glyph(runs_dir / run["name"], "last")
    worst = sorted(rows, key=lambda cp: rows[cp]["model_ink_iou"])[:WORST]
    val = Dataset.open(run["shards"]).read_split("val")
    index = {int(cp): i for i, cp in enumerate(val.codepoint)}
    pick = np.array([index[cp] for cp in worst])
    generated = run_glyphs(runs_dir / run["name"], "last", val.source[pick])
    sheet = side_by_side(
        [("source", val.source[pick]), ("generated", generated), ("target", val.target[pick])],
        label_w=70,
    )
    save_png_atomic(sheet, path, "the worst-glyph picture")


def charts(runs: list[dict], folder: Path) -> None:
    """Val ink IoU and val L1 against minutes, one chart each per pair: ``curve-iou.png``
    for the tuned pair, ``curve-iou-PAIR.png`` for the others (their scales differ); a blended
    pair joins the chart of the pair it shares its val characters with."""
    for pair in sorted({SAME_VAL_AS.get(r["pair"], r["pair"]) for r in runs}):
        members = [r for r in runs if SAME_VAL_AS.get(r["pair"], r["pair"]) == pair]
        suffix = "" if pair == TUNED_PAIR else f"-{pair}"
        for metric, label in (("val_iou", "val ink IoU"), ("val_l1", "val L1")):
            line_chart(  # one panel per batch size (all 16 here)
                members,
                folder / f"curve-{metric.removeprefix('val_')}{suffix}.png",
                f"{label} against minutes of training ({pair}, 64 px, 2 CPU cores)",
                lambda r, m=metric: (
                    [p["minutes"] for p in r["curve"]],
                    [p[m] for p in r["curve"]],
                ),
                label,
                x_label="minutes",
                key=lambda r: r["name"],
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/quality-30min"))
    parser.add_argument("--json", type=Path, default=here / "results-64px-cpu.json")
    parser.add_argument("--plots", type=Path, default=here, help="folder of the PNGs")
    parser.add_argument(
        "--worst", help=f"run whose worst glyphs are drawn (default: the best {TUNED_PAIR} run)"
    )
    return parser.parse_args(argv)


def _recorded(path: Path) -> dict:
    """The results file as written before ({} when there is none)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = sorted(p.name for p in args.runs.iterdir() if RUN_NAME.match(p.name) and p.is_dir())
    try:
        before = _recorded(args.json)
        here = [
            run_record(args.runs / n)
            for n in names
            if (RunDir(args.runs / n).eval_report_dir("last", "val") / "metrics.json").is_file()
        ]
        kept = [r for r in before.get("runs", []) if r["name"] not in {h["name"] for h in here}]
        runs = sorted(here + kept, key=lambda r: r["name"])
        if not runs:
            raise Zi2ziError(f"{args.runs}: no evaluated run of studies/quality-30min/run.sh")
        tuned = [r for r in runs if SAME_VAL_AS.get(r["pair"], r["pair"]) == TUNED_PAIR] or runs
        chosen = args.worst or max(tuned, key=lambda r: r["val_iou"])["name"]
        if (args.runs / chosen).is_dir():
            worst_picture(
                next(r for r in runs if r["name"] == chosen), args.runs, args.plots / "worst-32.png"
            )
        elif chosen != before.get("worst_32_of"):
            raise Zi2ziError(f"{args.runs / chosen}: not here, so its worst glyphs cannot be drawn")
    except (OSError, ValueError, StopIteration, Zi2ziError, GlyphrenderError) as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 1
    charts(runs, args.plots)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    result = {
        "machine": machine,
        "worst_32_of": chosen,
        "summary": summary(runs),
        "pretrain": pretrain_record(args.runs / "zoo-pretrain") or before.get("pretrain"),
        "runs": runs,
    }
    write_text_atomic(args.json, json.dumps(result, indent=2) + "\n", "the results")
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
