"""``zi2zi train``: train a zi2zi GAN on a glyphrender dataset.

Settings come from flags, then ``--config run.toml``, then ``--preset NAME``, then (with
``--resume``) the checkpoint, then built-in defaults. Torch is imported inside the command so
``zi2zi --help`` stays fast.
Multi-GPU: ``torchrun --nproc-per-node N -m zi2zi_core.cli.train --shards ... --run-dir ...``
(torchrun takes ``--run`` as an abbreviation of its own ``--run-path``).
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from glyphrender.dataset.fewshot import PICK_RULES

from zi2zi_core.cli._model_flags import model_flag_options
from zi2zi_core.errors import MissingInput
from zi2zi_core.evaluation.metric_names import VAL_METRICS
from zi2zi_core.models.config import AdversarialLoss
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.training.config import (
    COMPILE_MODES,
    LR_SCHEDULES,
    PRECISIONS,
    default_of,
    flags_to_sections,
    parse_attention,
)
from zi2zi_core.training.presets import preset_names

ADVERSARIAL = [a.value for a in AdversarialLoss]
F = TypeVar("F", bound=Callable[..., Any])
CLI_NAMES = {"attention": "attention_resolutions"}  # flag name -> config key where they differ


def dflt(key: str) -> str:
    """``[default: X]`` text of a config key: its built-in default (flags default to None so
    that a config file or a resumed checkpoint can supply the value)."""
    value = default_of(CLI_NAMES.get(key, key))
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "none"
    return str(value)


def collect_flags(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The flags the user actually gave, as config sections."""
    named = {CLI_NAMES.get(k, k): v for k, v in params.items()}
    if named.get("attention_resolutions") is not None:
        named["attention_resolutions"] = parse_attention(named["attention_resolutions"])
    return flags_to_sections(named)


def setting(flag: str, help: str, shown: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """A config-setting option: default None (a config file or checkpoint may supply it),
    its built-in default (or ``shown``) in --help."""
    key = flag.lstrip("-").split("/")[0].replace("-", "_")
    text = f"{help}  [default: {shown or dflt(key)}]"
    return click.option(flag, default=None, help=text, **kwargs)


@click.command("train")
@click.option(
    "--shards",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dataset directory (manifest.json + shards); required unless resuming.  "
    "[default: the resumed run's]",
)
@click.option(
    "--run",
    "--run-dir",
    "run_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory. Under torchrun write --run-dir: torchrun takes --run for its own "
    "--run-path.  [default: runs/DATASET-TIMESTAMP]",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file with [model], [loss], [train] tables; flags override it.  [default: none]",
)
@click.option(
    "--preset",
    type=click.Choice(preset_names()),
    help="A recipe shipped with zi2zi (README: Presets); --config and flags override it.  "
    "[default: none]",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --run from its latest checkpoint.  [default: off]",
)
@click.option(
    "--init-from",
    type=click.Path(exists=True, path_type=Path),
    help="Fine-tune from another run's checkpoint (run dir or .pt).  [default: none]",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the resolved config (JSON) and exit.  [default: off]"
)
@setting("--glyph-px", "Glyph size; must match the dataset.", "the dataset's", type=int)
@model_flag_options(
    lambda model_flag: setting(model_flag.flag, model_flag.help, type=model_flag.type)
)
@setting("--d-scales", "Discriminator scales (pix2pixHD multi-scale D; 1: one PatchGAN).", type=int)
@setting("--dropout", "Dropout in the generator's decoder.", type=float)
@setting("--adversarial", "GAN objective.", type=click.Choice(ADVERSARIAL))
@setting("--l1-weight", "Weight of the L1 loss against the target.", type=float)
@setting("--const-weight", "Weight of the encoding-constancy loss.", type=float)
@setting("--category-weight", "Weight of the style-classification loss.", type=float)
@setting("--tv-weight", "Weight of the total-variation loss.", type=float)
@setting("--edge-weight", "Extra L1 weight on the target's stroke edges (0: plain L1).", type=float)
@setting("--edge-radius", "Pixels from a stroke edge that the edge weight reaches.", type=int)
@setting("--fm-weight", "Weight of the discriminator feature-matching loss.", type=float)
@setting("--g-steps-per-d", "Generator updates per discriminator update.", type=int)
@setting("--batch-size", "Glyph pairs per step (per process under torchrun).", type=int)
@setting("--steps", "Total steps (on resume: the new end).", type=int)
@setting("--lr", "Adam learning rate of both networks.", type=float)
@setting("--lr-schedule", "Learning-rate schedule.", type=click.Choice(LR_SCHEDULES))
@setting("--seed", "Seed of weights, batch order, augmentation and dropout.", type=int)
@setting("--log-every", "Steps per tick (losses read back and logged).", type=int)
@setting("--val-every", "Steps between validations.", type=int)
@setting("--sample-every", "Steps between sample grids.", type=int)
@setting("--checkpoint-every", "Steps between checkpoints.", type=int)
@setting("--keep-checkpoints", "Keep the last K step checkpoints.", type=int)
@setting(
    "--best-metric", f"Val metric that picks {RunDir.BEST}.", type=click.Choice(sorted(VAL_METRICS))
)
@setting("--val-max-samples", "Validate on at most this many val glyphs (0: all).", type=int)
@setting("--ema-decay", "Decay of the generator's weight average.", type=float)
@setting(
    "--precision",
    "auto: bf16 on CUDA GPUs that support it, else fp32.",
    type=click.Choice(PRECISIONS),
)
@setting("--device", "auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps.")
@setting("--compile/--no-compile", "torch.compile both networks.")
@setting("--compile-mode", "torch.compile mode (with --compile).", type=click.Choice(COMPILE_MODES))
@setting("--cuda-graphs/--no-cuda-graphs", "Replay each step as one CUDA graph (CUDA only).")
@setting("--channels-last/--no-channels-last", "Channels-last memory layout.")
@setting("--data-memory-budget", "Upload the train split when it fits (e.g. 4GiB); else stream.")
@setting("--augment/--no-augment", "Random scale-up and crop of each pair.")
@setting(
    "--train-limit",
    "Few-shot: train on only N train characters per style (0: all); val is untouched.",
    type=click.IntRange(min=0),
)
@setting(
    "--train-pick",
    "Which N characters: spread (even over code points, so over radicals) or common "
    "(JIS level-1 kanji first).",
    type=click.Choice(PICK_RULES),
)
@setting("--train-pick-seed", "Seed of the few-shot pick.", type=int)
@setting("--nan-tolerance", "Non-finite steps in a row before a rollback.", type=int)
@setting(
    "--threads",
    "CPU threads of torch (0: one on 2 cores or fewer, else the usable cores minus the other "
    "busy processes at start; OMP_NUM_THREADS also sets it).",
    type=click.IntRange(min=0),
)
def train(**params: Any) -> None:
    """Train a zi2zi GAN on glyphrender shards.

    Settings come from flags, then --config, then --preset, then (with --resume) the
    checkpoint, then the defaults shown. Ctrl-C (or SIGTERM) finishes the step, writes a
    checkpoint and prints the command that resumes the run; a second Ctrl-C during the step
    stops at once without it (and says so), during the checkpoint's write it waits for the
    file. --resume continues from the newest intact checkpoint: a corrupt or truncated newer
    one is reported and skipped, with the number of steps lost.

    Exit status: 0 when training finished or was stopped with a checkpoint; 1 on bad input
    (one line on stderr, nothing written); 2 on a usage error; 130 (143 for SIGTERM) when a
    second signal stopped it before the checkpoint.
    """
    from zi2zi_core.cpu_threads import prefer_passive_waiting

    prefer_passive_waiting()  # before torch loads: see zi2zi_core.cpu_threads
    from zi2zi_core.training.distributed import env_info
    from zi2zi_core.training.prepare import claim_run_dir

    info = env_info()
    if params["dry_run"]:
        click.echo(json.dumps(_prepare(params, info.enabled).config.to_dict(), indent=2))
        return
    # One writer per run directory (rank 0 holds the lock under torchrun); a bad input or a
    # refusal leaves no directory that this command made.
    with claim_run_dir(params, info.is_main) as run_dir:
        prepared = _prepare({**params, "run_dir": run_dir}, info.enabled)
        _train(prepared, info)


def _prepare(params: dict[str, Any], distributed: bool) -> Any:
    """The checked run (see :func:`zi2zi_core.training.prepare.prepare_run`)."""
    from zi2zi_core.training.prepare import prepare_run

    try:
        return prepare_run(
            flags=collect_flags(params),
            shards=params["shards"],
            run_dir=params["run_dir"],
            config_file=params["config_file"],
            preset=params["preset"],
            resume=params["resume"],
            init_from=params["init_from"],
            distributed=distributed,
        )
    except MissingInput as exc:
        raise click.UsageError(str(exc)) from None


def _train(prepared: Any, info: Any) -> None:
    """Train a prepared run, with Ctrl-C/SIGTERM stopping at a checkpoint."""
    from glyphrender.errors import StorageError
    from glyphrender.progress import Progress

    from zi2zi_core.cli._stop import StopAbandoned, StopSignals, abandoned_message
    from zi2zi_core.cpu_threads import apply_cpu_threads, choose_cpu_threads
    from zi2zi_core.training import distributed

    run_dir = prepared.run_dir

    def say(message: str) -> None:
        if info.is_main:
            click.echo(f"zi2zi train: {message}", err=True)

    for note in prepared.notes:
        say(note)
    if prepared.nothing_to_train:  # the notes said why; the run stays as it was
        return
    if info.is_main:
        for stale in prepared.stale_checkpoints:  # corrupt, and newer than the resumed step
            stale.unlink(missing_ok=True)
    cpu_threads = choose_cpu_threads(prepared.config.train.threads)
    apply_cpu_threads(cpu_threads)
    trainer = prepared.trainer(dist_info=info, on_message=say, cpu_threads=cpu_threads)
    stops = StopSignals(trainer, say)
    progress = Progress(
        "zi2zi train",
        prepared.config.train.steps,
        unit="step",
        rate_unit="img",
        per_unit=prepared.config.train.batch_size * info.world_size,
        enabled=info.is_main,
    )
    try:
        with stops.installed():
            result = trainer.run(progress)
    except StopAbandoned as stop:
        say(abandoned_message(stop, run_dir, trainer.step))
        sys.exit(stop.exit_status)
    except StorageError as exc:  # a full disk: what was written before is whole
        resume = f"zi2zi train --run {shlex.quote(str(run_dir))} --resume"
        raise StorageError(
            f"{exc}; earlier checkpoints are intact; resume with: {resume}"
        ) from None
    finally:
        distributed.shutdown()
    if result.interrupted:
        say(f"stopped at step {result.step}; checkpoint {result.checkpoint}")
        say(f"resume with: zi2zi train --run {shlex.quote(str(run_dir))} --resume")
    else:
        say(f"done: {result.step} steps; checkpoints in {RunDir(run_dir).checkpoints}")


if __name__ == "__main__":  # torchrun -m zi2zi_core.cli.train ...
    from zi2zi_core.cli import one_line_warnings, report_failure

    try:
        with one_line_warnings():
            train.main(standalone_mode=True, prog_name="zi2zi train")
    except Exception as exc:  # click lets these through, as in the group
        report_failure(exc)
