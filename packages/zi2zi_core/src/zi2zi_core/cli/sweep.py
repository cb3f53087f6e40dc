"""``zi2zi sweep``: train a grid of norm configurations on one dataset and compare them.

Every run is a separate ``zi2zi train`` process under ``OUT/runs/NAME``; finished runs are
skipped and unfinished ones resumed, so the command can be re-run, split over machines with
``--part i/n`` or ``--only``, and the report rebuilt with ``--report-only`` from whatever run
directories were copied into ``OUT``. Exit status: 0 done, 1 bad input or a failed run (the
report is still written), 2 usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from glyphrender.outputs import check_output_apart, folder_lock

from zi2zi_core.errors import Zi2ziError
from zi2zi_core.sweep.report import COLLAPSE_THRESHOLD, COLLAPSE_TICKS, CollapseRule

if TYPE_CHECKING:
    from zi2zi_core.sweep.grid import Grid, SweepRun
    from zi2zi_core.sweep.pool import PoolResult


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
@click.option(
    "--device",
    default="auto",
    show_default=True,
    help="Device of the runs (passed to zi2zi train), or a comma-separated list the runs "
    "are dealt over, e.g. cuda:0,cuda:1.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Runs training at once, each its own process (dealt round-robin over --device). "
    "The sweep prints what it chose and why, and records it in OUT/sweep.json.  "
    "[default: auto: 1 on CPU; on CUDA from free memory, SMs and CPU cores]",
)
@click.option(
    "--time-budget",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop the runs after this many seconds (each writes a checkpoint), start no new "
    "one, and write the report; the same command resumes them.  [default: none]",
)
@click.option(
    "--report-only", is_flag=True, help="Only (re)build the report from OUT/runs.  [default: off]"
)
@click.option(
    "--repeat",
    "repeats",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A sweep directory of the same grid at another seed (repeatable): the report then "
    "measures the seed-to-seed spread and calls a difference real only above it.  "
    "[default: none]",
)
@click.option(
    "--claims",
    "claims",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A claims TOML file (claim = key, metric, comparisons; see docs/normalization-study.md): "
    "the report judges each claim by the seed spread and, with --compare, in the other study "
    "too.  [default: none]",
)
@click.option(
    "--compare",
    "reference",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Another study's summary.json or report.md: the report says which of its findings "
    "held here and which flipped.  [default: none]",
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
    jobs: int | None,
    time_budget: float | None,
    report_only: bool,
    repeats: tuple[Path, ...],
    claims: Path | None,
    reference: Path | None,
    collapse_threshold: float | None,
    collapse_ticks: int | None,
    list_runs: bool,
) -> None:
    """Train a grid of normalization configs with the same data, seed and steps; report.

    Finished runs are skipped and partial ones resumed, so running the same command again
    continues an interrupted sweep. Up to --jobs runs train at once, each in its own process
    with its own train.log; Ctrl-C stops them all, each after writing a checkpoint.

    Exit status: 0 when every selected run trained (or was already finished); 1 on bad input
    or when a run failed (the report is still written; see OUT/runs/NAME/train.log); 2 on a
    usage error; 3 when --time-budget stopped runs before --steps (the report is written);
    130 when interrupted (the running runs save a checkpoint first).
    """
    from zi2zi_core.sweep import grid as sw
    from zi2zi_core.sweep import report as rep

    collapse = rep.CollapseRule(
        threshold=collapse_threshold if collapse_threshold is not None else rep.COLLAPSE_THRESHOLD,
        ticks=collapse_ticks if collapse_ticks is not None else rep.COLLAPSE_TICKS,
    )
    say = lambda m: click.echo(f"zi2zi sweep: {m}", err=True)  # noqa: E731
    if claims is not None:  # a bad claims file fails now, not after the training
        from zi2zi_core.sweep.claims import load_claims

        load_claims(claims)
    check_output_apart(out, [("the dataset", shards)])  # before anything is read or trained
    if report_only:
        with folder_lock(out, "the sweep folder"):
            report = rep.build_report(out, collapse, repeats, reference, claims)
        say(f"report of {len(report['runs'])} run(s): {out / rep.REPORT_MD}")
        return

    glyph_px = None
    if shards is not None:
        from glyphrender.dataset.shards import Dataset

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

    with folder_lock(out, "the sweep folder"):  # one sweep at a time: "already in use by PID N"
        train_selected(
            selected,
            grid,
            shards=shards,
            out=out,
            steps=steps,
            device=device,
            jobs=jobs,
            time_budget=time_budget,
            glyph_px=glyph_px,
            say=say,
            collapse=collapse,
            study=(repeats, reference, claims),
        )


def train_selected(
    selected: list[SweepRun],
    grid: Grid,
    *,
    shards: Path,
    out: Path,
    steps: int,
    device: str,
    jobs: int | None,
    time_budget: float | None,
    glyph_px: int | None,
    say: Callable[[str], None],
    collapse: CollapseRule,
    study: tuple[tuple[Path, ...], Path | None, Path | None] = ((), None, None),
) -> None:
    """Train the selected runs --jobs at a time, write the report, and end with the exit
    status the command documents."""
    import os

    from glyphrender.progress import Progress

    from zi2zi_core.rundir.layout import RunDir
    from zi2zi_core.sweep import pool, runner
    from zi2zi_core.sweep.grid import RUNS_DIR
    from zi2zi_core.sweep.jobs import plan_jobs
    from zi2zi_core.sweep.report import REPORT_MD, build_report

    out.mkdir(parents=True, exist_ok=True)
    launches = []
    for i, run in enumerate(selected, 1):
        launch = runner.prepare_launch(run, out=out, steps=steps)
        if launch is None:
            say(f"[{i}/{len(selected)}] {run.name}: finished earlier, skipped")
        else:
            launches.append((f"[{i}/{len(selected)}]", launch))
    plan = plan_jobs(jobs, device, [la.run for _l, la in launches], glyph_px, dict(os.environ))
    runner.write_grid_record(out, grid, shards, steps, plan.to_dict())
    threads = f", {plan.threads_per_run} CPU thread(s) each" if plan.threads_per_run else ""
    say(
        f"{len(selected)} of {len(grid.runs)} run(s) of {grid.source}, {steps} steps each; "
        f"{len(launches)} to train, {plan.jobs} at a time{threads} ({plan.reason})"
    )
    if len(launches) > 1 and plan.jobs > 1:  # the biggest runs first: they bound the wall time
        launches.sort(key=lambda item: -item[1].run.batch_size)
    progress = Progress("zi2zi sweep", len(launches), unit="run")
    try:
        result = pool.run_pool(
            launches,
            plan,
            shards=shards,
            out=out,
            steps=steps,
            say=say,
            time_budget=time_budget,
            on_poll=progress.update,
        )
    finally:
        progress.close()
    if result.stopped_by in ("SIGINT", "SIGTERM"):
        _say_stopped(result, steps, say)
        raise KeyboardInterrupt
    report = build_report(out, collapse, *study)
    say(f"report of {len(report['runs'])} run(s): {out / REPORT_MD}")
    failed = result.failed(steps)
    if failed:
        raise Zi2ziError(
            f"{len(failed)} run(s) failed: {', '.join(failed)} "
            f"(see OUT/{RUNS_DIR}/NAME/{RunDir.TRAIN_LOG})"
        )
    if result.stopped_by:
        _say_stopped(result, steps, say)
        sys.exit(3)


def _say_stopped(result: PoolResult, steps: int, say: Callable[[str], None]) -> None:
    """What a stop left unfinished, and how to go on."""
    unfinished = result.unfinished(steps)
    stopped = [
        f"{o.name} at step {o.step}" if o.step else f"{o.name} before its first checkpoint"
        for o in unfinished
        if o.action != "not started"
    ]
    waiting = [o.name for o in unfinished if o.action == "not started"]
    say(
        f"stopped by {result.stopped_by}: {len(stopped)} run(s) stopped before step "
        f"{steps}" + (f" ({', '.join(stopped)})" if stopped else "")
    )
    if waiting:
        say(f"{len(waiting)} run(s) not started: {', '.join(waiting)}")
    say(
        "run the same command again to resume them (finished runs are skipped); "
        "--report-only rebuilds the report from what is there"
    )
