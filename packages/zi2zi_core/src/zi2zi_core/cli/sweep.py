"""``zi2zi sweep``: train a grid of norm configurations on one dataset and compare them.

Every run is a separate ``zi2zi train`` process under ``OUT/runs/NAME``; finished runs are
skipped and unfinished ones resumed, so the command can be re-run, split over machines with
``--part i/n`` or ``--only``, and the report rebuilt with ``--report-only`` from whatever run
directories were copied into ``OUT``. Exit status: 0 done, 1 bad input or a failed run (the
report is still written), 2 usage error.
"""

from __future__ import annotations

from pathlib import Path

import click

from zi2zi_core.errors import Zi2ziError
from zi2zi_core.sweep.report import COLLAPSE_THRESHOLD, COLLAPSE_TICKS


@click.command("sweep")
@click.option(
    "--shards",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dataset directory (manifest.json + shards); every run trains on it; required "
    "unless --report-only or --list.  [default: none]",
)
@click.option(
    "--grid",
    "grid_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Grid TOML ([base], [axes], [[extra]]).  [default: the built-in 36-run norm grid]",
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    help="Steps of every run (same budget); required unless --report-only or --list.  "
    "[default: none]",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Sweep directory: runs/NAME/, sweep.json, report.md, summary.json, plots/.",
)
@click.option(
    "--only",
    multiple=True,
    help="Run only these configs (NAME[,NAME]; repeatable).  [default: all]",
)
@click.option(
    "--part", help="Run part i of n of the grid (deterministic), e.g. 2/3.  [default: all]"
)
@click.option("--device", default="auto", show_default=True, help="Passed to zi2zi train.")
@click.option(
    "--report-only", is_flag=True, help="Only (re)build the report from OUT/runs.  [default: off]"
)
@click.option(
    "--collapse-threshold",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="A D collapse event: d_adv below this for --collapse-ticks ticks in a row.  "
    f"[default: {COLLAPSE_THRESHOLD:g}]",
)
@click.option(
    "--collapse-ticks",
    type=click.IntRange(min=1),
    default=None,
    help=f"Consecutive logged ticks a D collapse must last.  [default: {COLLAPSE_TICKS}]",
)
@click.option(
    "--list",
    "list_runs",
    is_flag=True,
    help="Print the grid's run names and exit.  [default: off]",
)
def sweep(
    shards: Path | None,
    grid_path: Path | None,
    steps: int | None,
    out: Path,
    only: tuple[str, ...],
    part: str | None,
    device: str,
    report_only: bool,
    collapse_threshold: float | None,
    collapse_ticks: int | None,
    list_runs: bool,
) -> None:
    """Train a grid of normalization configs with the same data, seed and steps; report.

    Finished runs are skipped and partial ones resumed, so running the same command again
    continues an interrupted sweep.

    Exit status: 0 when every selected run trained (or was already finished); 1 on bad input
    or when a run failed (the report is still written; see OUT/runs/NAME/train.log); 2 on a
    usage error; 130 when interrupted (the run in progress saves a checkpoint first).
    """
    from zi2zi_core.sweep import grid as sw
    from zi2zi_core.sweep import report as rep
    from zi2zi_core.sweep import runner

    collapse = rep.CollapseRule(
        threshold=collapse_threshold if collapse_threshold is not None else rep.COLLAPSE_THRESHOLD,
        ticks=collapse_ticks if collapse_ticks is not None else rep.COLLAPSE_TICKS,
    )
    say = lambda m: click.echo(f"zi2zi sweep: {m}", err=True)  # noqa: E731

    if report_only:
        report = rep.build_report(out, collapse)
        say(f"report of {len(report['runs'])} run(s): {out / rep.REPORT_MD}")
        return

    glyph_px = None
    if shards is not None:
        from glyphrender.shards import Dataset

        glyph_px = Dataset.open(shards).glyph_px
    grid = sw.load_grid(grid_path, glyph_px)
    names = [n.strip() for item in only for n in item.split(",")]
    selected = sw.select_runs(grid, names, sw.parse_part(part) if part else None)
    if list_runs:
        for run in selected:
            click.echo(run.name)
        return
    if shards is None:
        raise click.UsageError("--shards DATASET is required (unless --report-only or --list)")
    if steps is None:
        raise click.UsageError("--steps N is required (unless --report-only or --list)")

    out.mkdir(parents=True, exist_ok=True)
    runner.write_grid_record(out, grid, shards, steps)
    say(f"{len(selected)} of {len(grid.runs)} run(s) of {grid.source}, {steps} steps each")
    failed = []
    for i, run in enumerate(selected, 1):
        outcome = runner.execute_run(
            run,
            shards=shards,
            out=out,
            steps=steps,
            device=device,
            say=lambda m, i=i: say(f"[{i}/{len(selected)}] {m}"),
        )
        if outcome.returncode != 0:
            failed.append(run.name)
    report = rep.build_report(out, collapse)
    say(f"report of {len(report['runs'])} run(s): {out / rep.REPORT_MD}")
    if failed:
        raise Zi2ziError(
            f"{len(failed)} run(s) failed: {', '.join(failed)} (see OUT/runs/NAME/train.log)"
        )
