"""The study's verdicts: seed-to-seed spread, claims (:mod:`.claims`, given with ``--claims``),
and a comparison with another study (e.g. the 32 px CPU study against a 128 px GPU one).

* Seed spread: the same configuration trained again with another seed (a sweep directory of
  the same grid with another ``seed``, given as a *repeat*). For each metric and batch size
  the spread is the largest |difference| between the seeds of one configuration; where a batch
  size has no repeated configuration the largest spread of any batch size stands in.
* A claim is tested by like-for-like pairs (same D and batch size, or same G and batch size):
  the configuration the claim favours against its alternative. A pair's difference is called
  real only when it is larger than the seed spread of its batch size; a claim is *supported*
  when at least one pair is real and every real pair favours it, *contradicted* when every
  real pair goes against it, *mixed* when real pairs go both ways, and *within seed noise*
  when no pair is real (also when no seed spread was measured: nothing is called real then).
* The comparison with a reference study (its ``summary.json``, or the ranked table of its
  ``report.md``) pairs the same configurations by name: a pair *held* when the difference has
  the same sign in both studies and is real here, *flipped* when the sign is opposite and real
  here; the reference's own verdicts use the noise levels the claims file states for it
  (``[reference_noise]``; a one-seed study has no measured spread).

Reads only JSON and markdown; needs neither torch nor a GPU.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from zi2zi_core.evaluation.metric_names import VAL_LABELS as METRIC_NAMES
from zi2zi_core.evaluation.metric_names import VAL_METRICS as METRICS
from zi2zi_core.evaluation.metric_names import advantage
from zi2zi_core.sweep.claims import ClaimSet
from zi2zi_core.sweep.grid import SweepError

# -- reading ------------------------------------------------------------------------------


def finished_finals(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """name -> run, for runs that finished with a final validation."""
    return {
        r["name"]: r
        for r in runs
        if r.get("status") == "finished" and r.get("final") and r["final"].get("val_l1") is not None
    }


_ROW = re.compile(
    r"^\| \d+ \| `([^`]+)` \| ([^|]+) \| ([^|]+) \| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|"
)


def runs_from_report_md(text: str) -> list[dict[str, Any]]:
    """The ranked table of a sweep's report.md as run records (final metrics only)."""
    runs = []
    for line in text.splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        name, g, d, batch, *vals = (x.strip() for x in m.groups())
        status = line.rstrip(" |").rsplit("|", 1)[-1].strip()
        final = {k: None if v == "n/a" else float(v) for k, v in zip(METRICS, vals, strict=True)}
        collapses = line.split("|")[11].strip()
        runs.append(
            {
                "name": name,
                "g": g,
                "d": d,
                "batch_size": int(batch),
                "status": status,
                "final": final,
                "collapse_events": [{}] * int(collapses) if collapses.isdigit() else [],
            }
        )
    return runs


def load_study(path: Path) -> list[dict[str, Any]]:
    """Runs of a study: its summary.json, a sweep directory holding one, or its report.md."""
    path = Path(path)
    if path.is_dir():
        path = path / "summary.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SweepError(f"{path}: cannot read the study ({exc.strerror})") from None
    if path.suffix == ".md":
        runs = runs_from_report_md(text)
    else:
        try:
            runs = json.loads(text)["runs"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise SweepError(f"{path}: not a sweep summary.json (no 'runs' list)") from None
    if not runs:
        raise SweepError(f"{path}: no runs in this study")
    return runs


# -- seed spread ----------------------------------------------------------------------------


def seed_spread(
    base: Sequence[dict[str, Any]], repeats: Sequence[Sequence[dict[str, Any]]]
) -> dict[str, Any]:
    """Per repeated configuration its values over the seeds; per metric and batch size the
    largest spread (max - min over seeds), and the overall largest."""
    finals = [finished_finals(base)] + [finished_finals(r) for r in repeats]
    pairs = []
    for name, run in finals[0].items():
        seen = [f[name] for f in finals if name in f]
        if len(seen) < 2:
            continue
        values = {m: [s["final"][m] for s in seen] for m in METRICS}
        spread = {
            m: max(v) - min(v) if all(x is not None for x in v) else None for m, v in values.items()
        }
        pairs.append(
            {"name": name, "batch_size": run["batch_size"], "values": values, "spread": spread}
        )
    by_batch: dict[str, dict[str, float]] = {m: {} for m in METRICS}
    overall: dict[str, float | None] = {}
    for m in METRICS:
        for p in pairs:
            if p["spread"][m] is not None:
                b = str(p["batch_size"])
                by_batch[m][b] = max(by_batch[m].get(b, 0.0), p["spread"][m])
        overall[m] = max(by_batch[m].values()) if by_batch[m] else None
    return {"configs": pairs, "by_batch": by_batch, "overall": overall}


def threshold_of(spread: dict[str, Any], metric: str, batch: int) -> float | None:
    """The noise level a difference at this batch size must exceed (None: not measured)."""
    return spread["by_batch"][metric].get(str(batch), spread["overall"][metric])


# -- claims ---------------------------------------------------------------------------------


def compare_pair(
    runs: dict[str, dict[str, Any]], a: str, b: str, metric: str, noise: float | None
) -> dict[str, Any]:
    """Favoured ``a`` vs alternative ``b``: the difference (positive: ``a`` is better) and
    whether it exceeds the noise level."""
    va, vb = runs[a]["final"][metric], runs[b]["final"][metric]
    better = advantage(metric, va, vb)
    real = noise is not None and abs(better) > noise
    return {
        "favoured": a,
        "other": b,
        "batch_size": runs[a]["batch_size"],
        "favoured_value": va,
        "other_value": vb,
        "advantage": better,
        "noise": noise,
        "real": real,
        "for": real and better > 0,
        "against": real and better < 0,
    }


def verdict(pairs: Sequence[dict[str, Any]], measured: bool) -> str:
    """supported / contradicted / mixed / within seed noise / not tested (see module doc)."""
    if not pairs:
        return "not tested"
    n_for = sum(p["for"] for p in pairs)
    n_against = sum(p["against"] for p in pairs)
    if n_for and n_against:
        return "mixed"
    if n_for:
        return "supported"
    if n_against:
        return "contradicted"
    return "within seed noise" if measured else "undecided (no seed spread measured)"


def test_claims(
    runs: Sequence[dict[str, Any]],
    noise: Callable[[str, int], float | None],
    claims: ClaimSet,
) -> list[dict[str, Any]]:
    """Every claim's pairs, counts and verdict; ``noise(metric, batch)`` gives the threshold."""
    finals = finished_finals(runs)
    results = []
    for claim in claims.claims:
        pairs = [
            compare_pair(finals, a, b, claim.metric, noise(claim.metric, finals[a]["batch_size"]))
            for a, b in claim.pairs(finals)
        ]
        measured = any(p["noise"] is not None for p in pairs)
        results.append(
            {
                "key": claim.key,
                "claim": claim.text,
                "metric": claim.metric,
                "pairs": pairs,
                "for": sum(p["for"] for p in pairs),
                "against": sum(p["against"] for p in pairs),
                "within_noise": sum(not p["real"] for p in pairs),
                "verdict": verdict(pairs, measured),
            }
        )
    return results


def collapse_by_d(runs: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """D token -> [runs with a D collapse event, finished runs]."""
    out: dict[str, list[int]] = {}
    for run in finished_finals(runs).values():
        row = out.setdefault(run["d"], [0, 0])
        row[0] += bool(run.get("collapse_events"))
        row[1] += 1
    return out


# -- comparison with a reference study ------------------------------------------------------


def _ranks(values: dict[str, float]) -> dict[str, float]:
    order = sorted(values, key=lambda k: values[k])
    return {name: float(i) for i, name in enumerate(order)}


def spearman(a: dict[str, float], b: dict[str, float]) -> float | None:
    """Rank correlation of two studies' final val L1 over their common runs (no ties)."""
    common = sorted(set(a) & set(b))
    n = len(common)
    if n < 3:
        return None
    ra = _ranks({k: a[k] for k in common})
    rb = _ranks({k: b[k] for k in common})
    d2 = sum((ra[k] - rb[k]) ** 2 for k in common)
    return 1 - 6 * d2 / (n * (n * n - 1))


def compare_studies(
    runs: Sequence[dict[str, Any]],
    here: list[dict[str, Any]],
    reference_runs: Sequence[dict[str, Any]],
    claims: ClaimSet,
) -> dict[str, Any]:
    """Claim by claim (``here``: this study's :func:`test_claims` of ``runs``): the reference's
    verdict (at the noise the claims file states for it), this study's, and which
    like-for-like pairs held or flipped; plus the rank correlation and the reference's best
    run."""
    ref_claims = test_claims(reference_runs, lambda m, _b: claims.reference_noise.get(m), claims)
    rows = []
    for mine, ref in zip(here, ref_claims, strict=True):
        ref_adv = {(p["favoured"], p["other"]): p["advantage"] for p in ref["pairs"]}
        held = flipped = noise = 0
        for p in mine["pairs"]:
            other = ref_adv.get((p["favoured"], p["other"]))
            if other is None:
                continue
            if not p["real"]:
                noise += 1
            elif (other > 0) == (p["advantage"] > 0):
                held += 1
            else:
                flipped += 1
        rows.append(
            {
                "key": mine["key"],
                "claim": mine["claim"],
                "reference_verdict": ref["verdict"],
                "verdict": mine["verdict"],
                "pairs_held": held,
                "pairs_flipped": flipped,
                "pairs_within_noise_here": noise,
            }
        )
    here_l1 = {k: r["final"]["val_l1"] for k, r in finished_finals(runs).items()}
    ref_finals = finished_finals(reference_runs)
    ref_l1 = {k: r["final"]["val_l1"] for k, r in ref_finals.items()}
    return {
        "claims": rows,
        "common_runs": len(set(here_l1) & set(ref_l1)),
        "spearman_val_l1": spearman(here_l1, ref_l1),
        "reference_best": min(ref_l1, key=ref_l1.get) if ref_l1 else None,
        "reference_noise": dict(claims.reference_noise),
    }


def analyze(
    runs: Sequence[dict[str, Any]],
    repeats: Sequence[Sequence[dict[str, Any]]] = (),
    reference: Sequence[dict[str, Any]] | None = None,
    reference_label: str = "",
    claims: ClaimSet | None = None,
) -> dict[str, Any]:
    """Seed spread, claims and (with a reference study) the comparison, for summary.json."""
    claims = claims if claims is not None else ClaimSet()
    spread = seed_spread(runs, repeats)
    verdicts = test_claims(runs, lambda m, b: threshold_of(spread, m, b), claims)
    result: dict[str, Any] = {
        "seed_spread": spread,
        "claims": verdicts,
        "claims_title": claims.title,
        "claims_file": claims.source,
        "collapse_by_d": collapse_by_d(runs),
    }
    if reference is not None:
        result["comparison"] = compare_studies(runs, verdicts, reference, claims)
        result["comparison"]["reference"] = reference_label
    return result


# -- markdown -------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def spread_section(spread: dict[str, Any]) -> list[str]:
    """The report's "Seed-to-seed spread" section."""
    lines = ["## Seed-to-seed spread", ""]
    if not spread["configs"]:
        return lines + [
            "No configuration was trained with a second seed, so no difference below is "
            "called real (give the repeated sweep directories with --repeat).",
            "",
        ]
    lines += [
        "The same configuration trained again with another seed (other initial weights and "
        "batch order). A difference between two configurations is called real only when it "
        "is larger than the largest spread at its batch size (the largest at any batch size "
        "where that batch size was not repeated).",
        "",
        "| run | batch | val L1 per seed | spread L1 | spread SSIM | spread ink IoU |",
        "|---|---|---|---|---|---|",
    ]
    for c in spread["configs"]:
        seeds = " / ".join(_f(v) for v in c["values"]["val_l1"])
        lines.append(
            f"| `{c['name']}` | {c['batch_size']} | {seeds} | {_f(c['spread']['val_l1'])} "
            f"| {_f(c['spread']['val_ssim'])} | {_f(c['spread']['val_iou'])} |"
        )
    lines += ["", "Noise level used (largest spread) per batch size:", ""]
    lines += ["| metric | " + " | ".join(f"batch {b}" for b in _spread_batches(spread)) + " |"]
    lines += ["|---|" + "---|" * len(_spread_batches(spread))]
    for m in METRICS:
        cells = [_f(spread["by_batch"][m].get(b)) for b in _spread_batches(spread)]
        lines.append(f"| {METRIC_NAMES[m]} | " + " | ".join(cells) + " |")
    return lines + [""]


def _spread_batches(spread: dict[str, Any]) -> list[str]:
    return sorted({str(c["batch_size"]) for c in spread["configs"]}, key=int)


def claims_section(
    claims: list[dict[str, Any]], collapse: dict[str, list[int]], title: str, source: str
) -> list[str]:
    """The report's claim-by-claim section: a verdict table, then every pair."""
    collapse_line = "D collapse events by discriminator (runs with an event / finished runs): "
    collapse_line += ", ".join(f"D {d}: {n}/{t}" for d, (n, t) in sorted(collapse.items())) + "."
    if not claims:
        return ["## Claims", "", "No claims were given (`--claims FILE`).", "", collapse_line, ""]
    lines = [
        f"## {title}",
        "",
        f"From `{source}`. " if source else "",
        "Each claim is tested on like-for-like pairs (favoured configuration vs its "
        "alternative, same other settings). adv.: the favoured run's advantage (positive: "
        "better); noise: the seed spread it must exceed to be called real.",
        "",
        "| claim | metric | pairs | real, for | real, against | within noise | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in claims:
        lines.append(
            f"| {c['claim']} | {METRIC_NAMES[c['metric']]} | {len(c['pairs'])} | {c['for']} "
            f"| {c['against']} | {c['within_noise']} | **{c['verdict']}** |"
        )
    lines += ["", collapse_line, ""]
    for c in claims:
        if not c["pairs"]:
            continue
        lines += [
            f"### {c['claim']}",
            "",
            "| favoured | alternative | batch | favoured | alternative | adv. | noise | real |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for p in c["pairs"]:
            lines.append(
                f"| `{p['favoured']}` | `{p['other']}` | {p['batch_size']} "
                f"| {_f(p['favoured_value'])} | {_f(p['other_value'])} | {p['advantage']:+.4f} "
                f"| {_f(p['noise'])} | {'yes' if p['real'] else 'no'} |"
            )
        lines.append("")
    return lines


def _reference_noise_text(comparison: dict[str, Any]) -> str:
    noise = comparison["reference_noise"]
    if not noise:
        return (
            "The claims file states no noise level for the reference, so its verdicts read "
            "'undecided' there."
        )
    stated = ", ".join(f"{METRIC_NAMES[m]} {v:g}" for m, v in noise.items())
    return (
        f"The reference's verdicts use the noise level the claims file states for it "
        f"({stated}); a metric without one reads 'undecided' there."
    )


def comparison_section(comparison: dict[str, Any]) -> list[str]:
    """The report's section comparing with the reference study."""
    rho = comparison["spearman_val_l1"]
    lines = [
        f"## Compared with {comparison['reference'] or 'the reference study'}",
        "",
        f"{comparison['common_runs']} configurations ran in both studies; rank correlation of "
        f"their final val L1 (Spearman): {_f(rho, 2)}. Best there: "
        f"`{comparison['reference_best']}`. {_reference_noise_text(comparison)} A pair "
        "held when its difference has the same sign in both studies and is real here; "
        "flipped when the sign is opposite and real here.",
        "",
        "| claim | there | here | pairs held | pairs flipped | pairs within noise here |",
        "|---|---|---|---|---|---|",
    ]
    for row in comparison["claims"]:
        lines.append(
            f"| {row['claim']} | {row['reference_verdict']} | **{row['verdict']}** "
            f"| {row['pairs_held']} | {row['pairs_flipped']} | {row['pairs_within_noise_here']} |"
        )
    return lines + [""]


def study_sections(analysis: dict[str, Any]) -> list[str]:
    """Every study section of report.md, in order."""
    lines = spread_section(analysis["seed_spread"])
    lines += claims_section(
        analysis["claims"],
        analysis["collapse_by_d"],
        analysis["claims_title"],
        analysis["claims_file"],
    )
    if "comparison" in analysis:
        lines += comparison_section(analysis["comparison"])
    return lines
