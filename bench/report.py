"""Render suite results (bench/results/suite-<machine>-<YYYY-MM-DD>.json) as Markdown tables.

By default the latest suite file of each machine is rendered, one table per machine, and the
latest GPU check (``gpu-check-<machine>-<YYYY-MM-DD>.json``) of each machine after it. Figures from
different machines or devices are never merged into one column: compare like with like.

    python bench/report.py                       # print the tables
    python bench/report.py FILE [FILE ...]       # these files instead
    python bench/report.py --update-readme       # rewrite README.md between the bench markers

Exit status: 0, or 1 with one line on stderr (no results, README without the markers).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
README = BENCH.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
# The results' one naming scheme is <what>-<machine>[-<note>].json (bench/README.md); a
# run_all.py file is <what> = suite or gpu-check with its date as the note.
SUITE_NAME = re.compile(r"^(suite|gpu-check)-(.+)-(\d{4}-\d{2}-\d{2})\.json$")


class ReportError(Exception):
    """Bad or missing input; the message names the file."""


def latest_files(folder: Path = RESULTS) -> list[Path]:
    """The newest suite file of each machine slug, ordered by slug, then likewise the newest
    GPU check of each machine."""
    newest: dict[tuple[str, str], tuple[str, Path]] = {}
    for path in folder.glob("*.json"):
        m = SUITE_NAME.match(path.name)
        if not m:
            continue
        key, date = (m.group(1) != "suite", m.group(2)), m.group(3)
        if key not in newest or date > newest[key][0]:
            newest[key] = (date, path)
    return [newest[k][1] for k in sorted(newest)]


def load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read results: {exc}") from exc
    if not isinstance(data, dict) or "benchmarks" not in data or "machine" not in data:
        raise ReportError(f"{path}: not a bench/run_all.py results file (no benchmarks/machine)")
    return data


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def render(data: dict, source: str = "") -> str:
    """One machine's results: a heading line, then one table row per figure."""
    m, dev, v = data["machine"], data.get("device", {}), data.get("versions", {})
    load_avg = data.get("load_average", {})
    device = dev.get("type", "?")
    if device == "cuda":
        device = f"CUDA {dev.get('name', '')}".strip()
    lines = [
        f"**{m.get('slug', '?')}** ({data.get('date', '?')}, {data.get('mode', '?')} run"
        + (f", `{source}`" if source else "")
        + f"): {m.get('cpu_model', '?')}, {m.get('cpu_count', '?')} cores, "
        f"{m.get('memory_gib', '?')} GiB; device {device}; torch {v.get('torch')}, "
        f"Python {v.get('python')}; 1-min load average "
        f"{(load_avg.get('before') or ['?'])[0]} before, {(load_avg.get('after') or ['?'])[0]} after.",
        "",
        "| Benchmark | Figure | Median | Range (n) | Peak RSS MiB | CUDA peak MiB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for bench in data["benchmarks"]:
        name = bench["name"]
        rss = _num(bench.get("peak_rss_mib"))
        cuda = _num(bench.get("cuda_peak_mib"))
        if not bench.get("figures"):
            lines.append(f"| {name} | failed: {bench.get('error', 'no figures')} | | | {rss} | |")
            continue
        if bench.get("returncode", 0) != 0:  # cut short, with the figures it wrote before
            lines.append(f"| {name} | {bench.get('error', 'failed')} | | | | |")
            name = ""
        for i, (label, fig) in enumerate(bench["figures"].items()):
            runs = fig.get("all") or [fig["median"]]
            spread = f"{_num(min(runs))}–{_num(max(runs))} ({len(runs)})"
            lines.append(
                f"| {name if i == 0 else ''} | {label} | {_num(fig['median'])} {fig['unit']} "
                f"| {spread} | {rss if i == 0 else ''} | {cuda if i == 0 else ''} |"
            )
    return "\n".join(lines) + "\n" + training_table(data)


def training_table(data: dict) -> str:
    """Training cases side by side (images/s, data share of a step, MFU), when a file holds
    bench_train.py results with MFU or zi2zi train runs (bench/run_all.py --plan gpu-check)."""
    rows, inputs = [], {}
    for bench in data["benchmarks"]:
        result = bench.get("result") or {}
        inputs = inputs or result.get("mfu") or {}
        for r in result.get("results", []):
            if "mfu" not in r:
                continue
            mode = " + ".join(
                m
                for m, on in (
                    ("compile", r.get("compile")),
                    ("graphs", r.get("cuda_graphs")),
                    ("channels-last", r.get("channels_last")),
                )
                if on
            )
            share = (r.get("phase_share") or {}).get("data")
            rows.append(
                f"| {bench['name']} | {r['batch_size']} | {r['precision']} | {mode or 'eager'} "
                f"| {_num(r['images_per_s'])} | {_pct(share)} | {_pct(r['mfu'])} |"
            )
        if result.get("benchmark") == "train-run":
            flags = " ".join(result.get("command", [])[2:]) or "eager"
            rows.append(
                f"| {bench['name']} | {result.get('batch_size')} | {result.get('precision', '')} "
                f"| zi2zi train {flags} | {_num(result.get('images_per_s'))} | | |"
            )
    if not rows:
        return ""
    peak = inputs.get("peak_flops_per_s")
    note = ""
    if peak:
        note = (
            f" FLOPs/image {inputs['flops_per_image'] / 1e9:.1f} G (FlopCounterMode, one eager"
            f" step); peak {peak / 1e12:.3g} TFLOP/s ({inputs.get('peak', {}).get('matmul', '')})."
        )
    head = [
        "",
        f"Training speed ({data.get('machine', {}).get('slug', '?')}).{note}",
        "",
        "| Benchmark | Batch | Precision | Mode | images/s | Data share | MFU |",
        "|---|---:|---|---|---:|---:|---:|",
    ]
    return "\n".join(head + rows) + "\n"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def render_all(paths: list[Path]) -> str:
    if not paths:
        raise ReportError(
            f"{RESULTS}: no suite-<machine>-<YYYY-MM-DD>.json results (run bench/run_all.py)"
        )
    root = BENCH.parent
    parts = []
    for path in paths:
        rel = path.resolve().relative_to(root) if path.resolve().is_relative_to(root) else path
        parts.append(render(load(path), str(rel)))
    return "\n".join(parts)


def update_readme(readme: Path, table: str) -> None:
    """Replace the text between the bench markers (markers kept), written via a temp name."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ReportError(f"{readme}: no '{START}' ... '{END}' markers to replace between")
    new = text[: start + len(START)] + "\n" + table.rstrip("\n") + "\n" + text[end:]
    tmp = readme.with_name(readme.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="results files [latest per machine]")
    parser.add_argument("--update-readme", action="store_true", help="rewrite README.md's section")
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        table = render_all(args.files or latest_files())
        if args.update_readme:
            update_readme(args.readme, table)
            print(f"updated {args.readme}")
        else:
            print(table, end="")
    except ReportError as exc:
        print(f"report.py: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
