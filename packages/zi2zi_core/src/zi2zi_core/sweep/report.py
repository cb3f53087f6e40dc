"""The sweep report: per-run numbers from ``metrics.jsonl``, ``report.md``, ``summary.json``
and PNG charts drawn with PIL (no plotting library).

Definitions (also written into the report):

* final val L1 / SSIM / ink IoU: the run's last ``val`` record (EMA generator).
* best step: the ``val`` record with the lowest L1.
* D collapse event: a maximal stretch of at least ``ticks`` consecutive logged ticks whose mean
  discriminator adversarial loss (``d_adv``; ``d_loss`` when absent) is below ``threshold``:
  the discriminator separates real from generated pairs almost perfectly for that long.
* D-loss spread: standard deviation of the per-tick ``d_adv`` over the second half of the run.
* grad norms: mean of ``grad_norm_g`` / ``grad_norm_d`` over the ticks of the second half of
  the run (like the D-loss spread: the first ticks, where the L1 term dominates and D's gradient
  is still tiny, would otherwise weigh in); ``summary.json`` also keeps the all-tick means.
* beats copy-source: final val L1 below the L1 of copying the source glyph unchanged.
* s/step: median over ticks of ``batch_size / images_per_s`` (the median ignores the ticks
  that also ran a validation).

Reads only JSON, so it needs neither torch nor a GPU.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glyphrender.atomic import write_text_atomic

from zi2zi_core.evaluation.metric_names import VAL_METRICS, is_better
from zi2zi_core.models.config import NormKind, SpectralMode
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.sweep.grid import RUNS_DIR, NormChoice

REPORT_MD = "report.md"
SUMMARY_JSON = "summary.json"
PLOTS_DIR = "plots"
COLLAPSE_THRESHOLD = 0.05
COLLAPSE_TICKS = 3


@dataclass(frozen=True)
class CollapseRule:
    """D collapse: adversarial D loss below ``threshold`` for >= ``ticks`` ticks in a row."""

    threshold: float = COLLAPSE_THRESHOLD
    ticks: int = COLLAPSE_TICKS


# -- reading runs ---------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    """A finite float, or None (NaN/inf are logged as strings; absent keys are None)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def collapse_events(steps: list[int], d_adv: list[float | None], rule: CollapseRule) -> list[dict]:
    """Maximal stretches of >= rule.ticks consecutive ticks with d_adv < rule.threshold."""
    events = []
    start = None
    count = 0
    for i, value in enumerate(d_adv):
        low = value is not None and value < rule.threshold
        if low:
            if start is None:
                start = i
            count += 1
        if not low or i == len(steps) - 1:
            if start is not None and count >= rule.ticks:
                end = i if low else i - 1
                events.append({"start_step": steps[start], "end_step": steps[end], "ticks": count})
            start, count = None, 0
    return events


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _read_config(run_dir: Path) -> dict[str, Any] | None:
    """The run's config.json; None when it is missing or unreadable (a run not started)."""
    config_path = RunDir(run_dir).config_json
    if not config_path.is_file():
        return None
    try:
        return json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _val_scores(record: dict[str, Any]) -> dict[str, float | None]:
    return {k: _num(record.get(k)) for k in VAL_METRICS}


def _beats(final: dict[str, Any] | None, baseline: dict[str, Any] | None) -> bool | None:
    """Whether the final val L1 beats copying the source (None when either is unknown)."""
    copy_l1 = baseline["val_l1"] if baseline else None
    if final and final["val_l1"] is not None and copy_l1 is not None:
        return is_better("val_l1", final["val_l1"], copy_l1)
    return None


def analyze_run(run_dir: Path, rule: CollapseRule) -> dict[str, Any] | None:
    """Every number the report shows for one run; None when the run has no config.json yet."""
    config = _read_config(run_dir)
    if config is None:
        return None
    model, train = config.get("model", {}), config.get("train", {})
    batch = int(train.get("batch_size", 0)) or None
    records = read_metrics(run_dir)
    ticks = [r for r in records if r.get("kind") == "train"]
    vals = [r for r in records if r.get("kind") == "val" and _num(r.get("val_l1")) is not None]
    base = next((r for r in records if r.get("kind") == "baseline"), None)
    events = [r for r in records if r.get("kind") == "event"]

    steps = [int(r["step"]) for r in ticks]
    d_adv = [_num(r.get("d_adv", r.get("d_loss"))) for r in ticks]
    late = [s > steps[-1] / 2 for s in steps]  # the ticks of the run's second half
    second_half = [v for v, keep in zip(d_adv, late, strict=True) if keep and v is not None]
    grad_g = [_num(r.get("grad_norm_g")) for r in ticks]
    grad_d = [_num(r.get("grad_norm_d")) for r in ticks]
    s_per_step = [
        batch / ips for r in ticks if batch and (ips := _num(r.get("images_per_s"))) and ips > 0
    ]
    val_curve = [{"step": int(r["step"]), **_val_scores(r)} for r in vals]
    final = val_curve[-1] if val_curve else None
    best = min(val_curve, key=lambda v: v["val_l1"]) if val_curve else None
    target = int(train.get("steps", 0))
    last_step = max([int(r.get("step", 0)) for r in records], default=0)
    collapse = collapse_events(steps, d_adv, rule)
    baseline = _val_scores(base) if base else None
    return {
        "name": run_dir.name,
        "g": NormChoice(
            NormKind(model.get("g_norm", "none")), SpectralMode(model.get("g_spectral", "off"))
        ).token,
        "d": NormChoice(
            NormKind(model.get("d_norm", "none")), SpectralMode(model.get("d_spectral", "off"))
        ).token,
        "batch_size": batch,
        "status": "finished" if target and last_step >= target else "unfinished",
        "steps_target": target,
        "last_step": last_step,
        "final": final,
        "best": best,
        "baseline": baseline,
        "beats_copy_source": _beats(final, baseline),
        "collapse_events": collapse,
        "d_adv_spread": statistics.pstdev(second_half) if len(second_half) >= 2 else None,
        "d_adv_mean_second_half": _mean(list(second_half)),
        "grad_norm_g": _mean(grad_g),
        "grad_norm_d": _mean(grad_d),
        "grad_norm_g_second_half": _mean([v for v, k in zip(grad_g, late, strict=True) if k]),
        "grad_norm_d_second_half": _mean([v for v, k in zip(grad_d, late, strict=True) if k]),
        "s_per_step": statistics.median(s_per_step) if s_per_step else None,
        "skipped_updates": sum(int(_num(r.get("skipped")) or 0) for r in ticks),
        "rollbacks": sum(1 for r in events if r.get("event") == "nan_rollback"),
        "val_curve": val_curve,
        "train_curve": {
            "step": steps,
            "d_adv": d_adv,
            "d_loss": [_num(r.get("d_loss")) for r in ticks],
            "g_loss": [_num(r.get("g_loss")) for r in ticks],
            "g_adv": [_num(r.get("g_adv")) for r in ticks],
            "g_l1": [_num(r.get("g_l1")) for r in ticks],
        },
        "config": config,
    }


def rank_key(run: dict[str, Any]) -> tuple:
    """Runs with a val L1 first, by final val L1; then the rest by name."""
    final = run["final"]["val_l1"] if run["final"] else None
    return (final is None, final if final is not None else 0.0, run["name"])


def collect(out: Path, rule: CollapseRule) -> list[dict[str, Any]]:
    runs_root = out / RUNS_DIR
    if not runs_root.is_dir():
        return []
    found = [analyze_run(d, rule) for d in sorted(runs_root.iterdir()) if d.is_dir()]
    return sorted([r for r in found if r is not None], key=rank_key)


# -- the report -----------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _fmt_g(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def marginal_means(runs: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Mean final val L1, runs beating copy-source and runs with collapse events among the
    finished runs sharing each value of ``key`` (an unfinished run's last validation is from an
    earlier step: not comparable)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for run in runs:
        if run["final"] is not None and run["status"] == "finished":
            groups.setdefault(run[key], []).append(run)
    rows = []
    for value, members in groups.items():
        rows.append(
            {
                key: value,
                "runs": len(members),
                "mean_final_val_l1": _mean([m["final"]["val_l1"] for m in members]),
                "best_final_val_l1": min(m["final"]["val_l1"] for m in members),
                "beat_copy_source": sum(1 for m in members if m["beats_copy_source"]),
                "collapse_runs": sum(1 for m in members if m["collapse_events"]),
            }
        )
    return sorted(rows, key=lambda r: r["mean_final_val_l1"])


def pivot_tables(runs: list[dict[str, Any]]) -> list[str]:
    """Per discriminator: final val L1 of each G (rows) at each batch size (columns), so a G is
    compared only with runs that share its D and batch size ("n/a": not in the grid or not
    finished; "c": the run had a D collapse event)."""
    if len({r["batch_size"] for r in runs}) < 2 and len({r["g"] for r in runs}) < 2:
        return []
    batches = sorted({r["batch_size"] for r in runs if r["batch_size"] is not None})
    lines = []
    for d in sorted({r["d"] for r in runs}):
        members = [r for r in runs if r["d"] == d]
        cell = {
            (r["g"], r["batch_size"]): _fmt(r["final"]["val_l1"])
            + (" c" if r["collapse_events"] else "")
            for r in members
            if r["status"] == "finished" and r["final"] is not None
        }
        g_order = list(dict.fromkeys(r["g"] for r in sorted(members, key=lambda r: r["name"])))
        lines += [
            f"### D {d}",
            "",
            "| G | " + " | ".join(f"batch {b}" for b in batches) + " |",
            "|---|" + "---|" * len(batches),
        ]
        lines += [
            f"| {g} | " + " | ".join(cell.get((g, b), "n/a") for b in batches) + " |"
            for g in g_order
        ]
        lines.append("")
    return lines


def _marginal_sections(runs: list[dict[str, Any]]) -> list[str]:
    """The "Mean over finished runs, by ..." sections of the report."""
    lines: list[str] = []
    for key, title in (
        ("g", "generator norm"),
        ("d", "discriminator"),
        ("batch_size", "batch size"),
    ):
        rows = marginal_means(runs, key)
        if len(rows) < 2:
            continue
        lines += [
            f"## Mean over finished runs, by {title}",
            "",
            "Each mean is over whatever finished runs share the value; groups that cover "
            "different other settings (e.g. a G tried against only one D) do not compare like "
            "with like: the tables above do.",
            "",
            f"| {key} | runs | mean final val L1 | best final val L1 | beat copy-source "
            "| runs with D collapse |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r[key]} | {r['runs']} | {_fmt(r['mean_final_val_l1'])} "
            f"| {_fmt(r['best_final_val_l1'])} | {r['beat_copy_source']} | {r['collapse_runs']} |"
            for r in rows
        ]
        lines.append("")
    return lines


def render_markdown(
    runs: list[dict[str, Any]],
    rule: CollapseRule,
    plots: list[str],
    study: list[str] | None = None,
) -> str:
    """report.md: the ranked table, like-for-like tables, means, ``study`` sections (seed
    spread, claims, comparison; see :mod:`.study`), plots and definitions."""
    lines = ["# Normalization sweep report", ""]
    finished = [r for r in runs if r["status"] == "finished"]
    beat = sum(1 for r in finished if r["beats_copy_source"])
    copy_l1 = next((r["baseline"]["val_l1"] for r in runs if r["baseline"]), None)
    lines.append(
        f"{len(runs)} run(s), {len(finished)} finished; {beat} of the finished beat copying the "
        f"source glyph (val L1 {_fmt(copy_l1)}). Ranked by the final val L1 of the EMA "
        "generator (lower is better; pixel values in [0, 1])."
    )
    lines.append("")
    header = (
        "| rank | run | G | D | batch | final val L1 | SSIM | ink IoU | best L1 @ step "
        "| copy-source L1 | D collapses | D-loss spread | grad G | grad D | s/step | status |"
    )
    lines += [header, "|" + "---|" * 16]
    for i, r in enumerate(runs, 1):
        final, best, base = r["final"] or {}, r["best"], r["baseline"] or {}
        best_text = f"{_fmt(best['val_l1'])} @ {best['step']}" if best else "n/a"
        status = (
            r["status"] if r["status"] == "finished" else f"at {r['last_step']}/{r['steps_target']}"
        )
        lines.append(
            f"| {i} | `{r['name']}` | {r['g']} | {r['d']} | {r['batch_size']} "
            f"| {_fmt(final.get('val_l1'))} | {_fmt(final.get('val_ssim'))} "
            f"| {_fmt(final.get('val_iou'))} | {best_text} | {_fmt(base.get('val_l1'))} "
            f"| {len(r['collapse_events'])} | {_fmt_g(r['d_adv_spread'])} "
            f"| {_fmt_g(r['grad_norm_g_second_half'])} | {_fmt_g(r['grad_norm_d_second_half'])} "
            f"| {_fmt_g(r['s_per_step'])} | {status} |"
        )
    lines.append("")
    pivots = pivot_tables(runs)
    if pivots:
        lines += [
            "## Final val L1 by G and batch size, per discriminator",
            "",
            "Like-for-like comparisons (same D, same batch size); c: the run had a D collapse "
            "event; n/a: not in the grid or not finished.",
            "",
            *pivots,
        ]
    lines += _marginal_sections(runs)
    lines += study or []
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{Path(p).stem}]({p})" for p in plots]
        lines.append("")
    lines += [
        "## Definitions",
        "",
        "- final val L1 / SSIM / ink IoU: the last validation of the EMA generator; best L1 @ "
        "step: the validation with the lowest L1.",
        "- copy-source L1: the same metrics for copying the source glyph unchanged (a model "
        "should beat it).",
        f"- D collapse: a stretch of at least {rule.ticks} consecutive logged ticks whose mean "
        f"discriminator adversarial loss (d_adv) is below {rule.threshold:g}; the column counts "
        "such stretches.",
        "- D-loss spread: standard deviation of the per-tick d_adv over the second half of the run.",
        "- grad G / grad D: total L2 norm of the generator's / discriminator's gradients (the "
        "trainer does not clip), mean over the ticks of the second half of the run (n/a: the "
        "trainer did not log it).",
        "- beat copy-source: runs whose final val L1 is below the copy-source L1.",
        "- s/step: median over ticks of batch size / images per second.",
        "",
    ]
    return "\n".join(lines)


def build_report(
    out: Path,
    rule: CollapseRule | None = None,
    repeats: Sequence[Path] = (),
    reference: Path | None = None,
    claims: Path | None = None,
) -> dict[str, Any]:
    """Write ``report.md``, ``summary.json`` and ``plots/*.png`` for the runs under ``out``.

    ``repeats``: sweep directories of the same grid at other seeds (the seed spread);
    ``reference``: another study's summary.json or report.md to compare with; ``claims``: a
    claims TOML file (:mod:`.claims`) whose claims the report judges. With any of them the
    report has the study sections (see :mod:`.study`)."""
    from zi2zi_core.sweep import plots as sweep_plots
    from zi2zi_core.sweep import study
    from zi2zi_core.sweep.claims import load_claims

    rule = rule or CollapseRule()
    out = Path(out)
    claim_set = load_claims(claims) if claims is not None else None
    runs = collect(out, rule)
    plots = []
    if runs:
        plots = sweep_plots.draw_all(runs, out / PLOTS_DIR)
    rel = [str(p.relative_to(out)) for p in plots]
    analysis = None
    if repeats or reference is not None or claim_set is not None:
        ref_runs = study.load_study(reference) if reference is not None else None
        label = f"{reference.parent.name}/{reference.name}" if reference is not None else ""
        repeat_runs = [collect(Path(r), rule) for r in repeats]
        analysis = study.analyze(runs, repeat_runs, ref_runs, label, claim_set)
        analysis["repeats"] = [str(r) for r in repeats]
    summary = {
        "collapse_rule": {"threshold": rule.threshold, "ticks": rule.ticks, "loss": "d_adv"},
        "ranking": [r["name"] for r in runs],
        "marginals": {k: marginal_means(runs, k) for k in ("g", "d", "batch_size")},
        "runs": runs,
        "plots": rel,
    }
    if analysis is not None:
        summary["study"] = analysis
    sections = study.study_sections(analysis) if analysis is not None else None
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / SUMMARY_JSON, json.dumps(summary, indent=1) + "\n")
    write_text_atomic(out / REPORT_MD, render_markdown(runs, rule, rel, sections))
    return summary
