"""``zi2zi eval``: score a trained run on a paired split, beside the copy-source and blank
baselines, and write metrics.json, per_glyph.csv and review.png."""

from __future__ import annotations

from pathlib import Path

import click

from zi2zi_core.cli._options import (
    device_options,
    glyph_progress,
    trained_model_options,
    use_cpu_threads,
)
from zi2zi_core.evaluation.metric_names import GLYPH_METRICS
from zi2zi_core.rundir.layout import RunDir


def checkpoint_label(which: str) -> str:
    """``best``/``last`` as given, a checkpoint path by its file stem (for the out dir name)."""
    return which if which in ("best", "last") else Path(which).stem


@click.command("eval")
@trained_model_options
@click.option(
    "--split",
    type=click.Choice(["val", "train"]),
    default="val",
    show_default=True,
    help="Paired split of the run's dataset to score.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Output folder.  [default: RUN/{RunDir.EVAL}/CHECKPOINT-SPLIT]",
)
@device_options
@click.option(
    "--rank-by",
    type=click.Choice(GLYPH_METRICS),
    default="l1",
    show_default=True,
    help="Model metric that picks the worst and best glyphs of the review sheet.",
)
def eval_cmd(
    run_dir: Path,
    shards: Path | None,
    which: str,
    split: str,
    out_dir: Path | None,
    batch_size: int,
    device: str,
    rank_by: str,
) -> None:
    """Evaluate a run's generator on the val split and compare it with two baselines.

    Metrics per character (L1, RMSE, SSIM, ink IoU on ink coverage in [0, 1]) for the model,
    for copying the source glyph and for a blank page; averages go to metrics.json, per
    character values to per_glyph.csv, the worst and best characters to review.png.

    Exit status: 0 on success; 1 on bad input or a failed operation (one line on stderr,
    nothing written under the final name); 2 on a usage error; 130 when interrupted.
    """
    use_cpu_threads()
    from zi2zi_core.errors import Zi2ziError
    from zi2zi_core.evaluation.evaluate import evaluate, format_table, write_report
    from zi2zi_core.evaluation.generate import open_run_dataset, resolve_device
    from zi2zi_core.evaluation.outputs import check_apart_from_dataset, claim_inference_output
    from zi2zi_core.rundir.checkpoint import check_belongs_to_run, load_for_inference

    out = out_dir or RunDir(run_dir).eval_report_dir(checkpoint_label(which), split)
    claim_inference_output(out, run_dir, which, shards, what="the report folder")
    torch_device = resolve_device(device)
    bundle = load_for_inference(run_dir, which=which, device=torch_device)
    check_belongs_to_run(bundle, run_dir)
    check_apart_from_dataset(out, bundle.dataset_path)
    dataset = open_run_dataset(bundle, shards)
    batch = dataset.read_split(split)
    if not len(batch):
        raise Zi2ziError(f"{dataset.path}: the {split} split is empty; nothing to evaluate")
    with glyph_progress("zi2zi eval", len(batch)) as on_done:
        result = evaluate(bundle.generator, batch, batch_size, torch_device, on_done)
    info = {
        "run": str(run_dir),
        "checkpoint": checkpoint_label(which),
        "checkpoint_path": str(bundle.checkpoint_path),
        "step": int(bundle.step),
        "split": split,
        "dataset": str(dataset.path),
        "glyph_px": dataset.glyph_px,
        "rank_by": rank_by,
    }
    content = write_report(out, result, info, rank_by=rank_by)
    click.echo(
        f"{content['count']} glyphs of {split}, checkpoint {info['checkpoint']} (step {info['step']})"
    )
    click.echo(format_table(content["systems"]))
    click.echo(f"wrote {out}")
