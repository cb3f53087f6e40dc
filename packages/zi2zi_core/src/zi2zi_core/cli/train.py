"""``zi2zi train``: train a zi2zi GAN on a glyphrender dataset.

Settings come from flags, then ``--config run.toml``, then (with ``--resume``) the checkpoint,
then built-in defaults. Torch is imported inside the command so ``zi2zi --help`` stays fast.
Multi-GPU: ``torchrun --nproc-per-node N -m zi2zi_core.cli.train --shards ... --run-dir ...``
(torchrun takes ``--run`` as an abbreviation of its own ``--run-path``).
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from zi2zi_core.errors import ConfigError
from zi2zi_core.training.config import BEST_METRICS, LR_SCHEDULES, PRECISIONS

NORMS = ("auto", "batch", "instance", "group", "layer", "none")
SPECTRAL = ("auto", "off", "all", "deep")
ADVERSARIAL = ("bce", "lsgan", "hinge")

# flag name (click parameter) -> (section, config key)
MODEL_FLAGS = {
    "glyph_px": "glyph_px",
    "base_channels": "base_channels",
    "d_base_channels": "d_base_channels",
    "d_layers": "d_layers",
    "style_dim": "style_dim",
    "dropout": "dropout",
    "g_norm": "g_norm",
    "d_norm": "d_norm",
    "g_spectral": "g_spectral",
    "d_spectral": "d_spectral",
    "attention": "attention_resolutions",
}
LOSS_FLAGS = (
    "adversarial",
    "l1_weight",
    "const_weight",
    "category_weight",
    "tv_weight",
    "g_steps_per_d",
)
TRAIN_FLAGS = (
    "batch_size",
    "steps",
    "lr",
    "lr_schedule",
    "seed",
    "log_every",
    "val_every",
    "sample_every",
    "checkpoint_every",
    "keep_checkpoints",
    "best_metric",
    "val_max_samples",
    "ema_decay",
    "precision",
    "device",
    "compile",
    "channels_last",
    "data_memory_budget",
    "augment",
    "nan_tolerance",
)


def parse_attention(text: str) -> list[int]:
    """``"32,16"`` -> [32, 16]; ``""`` or ``"none"`` -> []."""
    text = text.strip().lower()
    if text in ("", "none"):
        return []
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--attention {text!r}: expected sizes like 32,16 or 'none'") from None


def collect_flags(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The flags the user actually gave, as config sections."""
    flags: dict[str, dict[str, Any]] = {"model": {}, "loss": {}, "train": {}}
    for name, key in MODEL_FLAGS.items():
        if params.get(name) is not None:
            value = params[name]
            flags["model"][key] = parse_attention(value) if name == "attention" else value
    for name in LOSS_FLAGS:
        if params.get(name) is not None:
            flags["loss"][name] = params[name]
    for name in TRAIN_FLAGS:
        if params.get(name) is not None:
            flags["train"][name] = params[name]
    return flags


def default_run_dir(shards: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{shards.resolve().name}-{stamp}"


@click.command("train")
@click.option(
    "--shards",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dataset directory (manifest.json + shards).",
)
@click.option(
    "--run",
    "--run-dir",
    "run_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory [default: runs/DATASET-TIMESTAMP]. Under torchrun write --run-dir: "
    "torchrun takes --run for its own --run-path.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file with [model], [loss], [train] tables; flags override it.",
)
@click.option(
    "--resume", is_flag=True, help="Continue the run in --run from its latest checkpoint."
)
@click.option(
    "--init-from",
    type=click.Path(exists=True, path_type=Path),
    help="Fine-tune from another run's checkpoint (run dir or .pt).",
)
@click.option("--dry-run", is_flag=True, help="Print the resolved config (JSON) and exit.")
@click.option("--glyph-px", type=int, help="Must match the dataset (it is read from there).")
@click.option("--base-channels", type=int)
@click.option("--d-base-channels", type=int)
@click.option("--d-layers", type=int, help="Stride-2 layers of the PatchGAN discriminator.")
@click.option("--style-dim", type=int)
@click.option("--dropout", type=float)
@click.option("--g-norm", type=click.Choice(NORMS))
@click.option("--d-norm", type=click.Choice(NORMS))
@click.option("--g-spectral", type=click.Choice(SPECTRAL))
@click.option("--d-spectral", type=click.Choice(SPECTRAL))
@click.option("--attention", help="Self-attention at these encoder sizes, e.g. 32,16 (or 'none').")
@click.option("--adversarial", type=click.Choice(ADVERSARIAL))
@click.option("--l1-weight", type=float)
@click.option("--const-weight", type=float)
@click.option("--category-weight", type=float)
@click.option("--tv-weight", type=float)
@click.option("--g-steps-per-d", type=int)
@click.option("--batch-size", type=int)
@click.option("--steps", type=int, help="Total steps (on resume: the new end).")
@click.option("--lr", type=float)
@click.option("--lr-schedule", type=click.Choice(LR_SCHEDULES))
@click.option("--seed", type=int)
@click.option("--log-every", type=int, help="Steps per tick (losses read back and logged).")
@click.option("--val-every", type=int)
@click.option("--sample-every", type=int)
@click.option("--checkpoint-every", type=int)
@click.option("--keep-checkpoints", type=int, help="Keep the last K step checkpoints.")
@click.option("--best-metric", type=click.Choice(sorted(BEST_METRICS)))
@click.option(
    "--val-max-samples", type=int, help="Validate on at most this many val glyphs (0: all)."
)
@click.option("--ema-decay", type=float)
@click.option("--precision", type=click.Choice(PRECISIONS))
@click.option("--device", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps.")
@click.option("--compile/--no-compile", default=None, help="torch.compile both networks.")
@click.option("--channels-last/--no-channels-last", default=None)
@click.option(
    "--data-memory-budget",
    help="Upload the train split when it fits (e.g. 4GiB); else stream. [auto]",
)
@click.option("--augment/--no-augment", default=None)
@click.option("--nan-tolerance", type=int, help="Non-finite steps in a row before a rollback.")
def train(**params: Any) -> None:
    """Train a zi2zi GAN on glyphrender shards.

    Ctrl-C (or SIGTERM) finishes the step, writes a checkpoint and prints the command that
    resumes the run; the exit status is then 0.
    """
    from glyphrender.shards import Dataset

    from zi2zi_core.rundir.checkpoint import latest_checkpoint, load_checkpoint, resolve_checkpoint
    from zi2zi_core.training.config import load_config_file, resolve_run_config
    from zi2zi_core.training.distributed import env_info

    info = env_info()
    flags = collect_flags(params)
    file_layer = load_config_file(params["config_file"]) if params["config_file"] else None
    run_dir: Path | None = params["run_dir"]
    checkpoint_config = None
    if params["resume"]:
        if run_dir is None:
            raise click.UsageError("--resume needs --run RUN (the run directory to continue)")
        latest = latest_checkpoint(run_dir)
        if latest is None:
            raise ConfigError(f"{run_dir}: nothing to resume (no checkpoints/ckpt-*.pt)")
        checkpoint_config = load_checkpoint(latest)["config"]
    shards = params["shards"] or (
        Path(checkpoint_config["train"]["shards"]) if checkpoint_config else None
    )
    if shards is None:
        raise click.UsageError("--shards DATASET is required (unless resuming)")
    if run_dir is None:
        if info.enabled:
            raise click.UsageError("--run-dir is required with torchrun (all ranks must agree)")
        run_dir = default_run_dir(shards)
    if not params["resume"] and latest_checkpoint(run_dir) is not None:
        raise ConfigError(
            f"{run_dir}: already holds checkpoints; add --resume or choose another --run"
        )
    flags["train"]["shards"] = str(shards)
    flags["train"]["run_dir"] = str(run_dir)
    init_model = None
    if params["init_from"] is not None:
        flags["train"]["init_from"] = str(params["init_from"])
        init_model = load_checkpoint(resolve_checkpoint(params["init_from"], "best"))["config"][
            "model"
        ]

    dataset = Dataset.open(shards)
    config = resolve_run_config(
        flags=flags,
        file_layer=file_layer,
        dataset_glyph_px=dataset.glyph_px,
        dataset_num_styles=dataset.num_styles,
        checkpoint_config=checkpoint_config,
        init_model=init_model,
        source=str(params["config_file"] or "flags"),
    )
    if params["dry_run"]:
        click.echo(json.dumps(config.to_dict(), indent=2))
        return

    from zi2zi_core.training import distributed
    from zi2zi_core.training.trainer import Trainer

    def say(message: str) -> None:
        if info.is_main:
            click.echo(f"zi2zi train: {message}", err=True)

    trainer = Trainer(config, run_dir, resume=params["resume"], dist_info=info, on_message=say)
    signals = {"count": 0}

    def on_signal(signum: int, _frame: Any) -> None:
        signals["count"] += 1
        if signals["count"] > 1:  # a second Ctrl-C: stop without the checkpoint
            raise KeyboardInterrupt
        say(f"{signal.Signals(signum).name}: finishing this step and writing a checkpoint")
        trainer.request_stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = trainer.run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        distributed.shutdown()
    if result.interrupted:
        say(f"stopped at step {result.step}; checkpoint {result.checkpoint}")
        say(f"resume with: zi2zi train --run {shlex.quote(str(run_dir))} --resume")
    else:
        say(f"done: {result.step} steps; checkpoints in {run_dir / 'checkpoints'}")


if __name__ == "__main__":  # torchrun -m zi2zi_core.cli.train ...
    from glyphrender.errors import GlyphrenderError

    from zi2zi_core.errors import Zi2ziError

    try:
        train.main(standalone_mode=True, prog_name="zi2zi train")
    except (Zi2ziError, GlyphrenderError) as exc:  # click lets these through, as in the group
        click.echo(f"zi2zi: error: {exc}", err=True)
        sys.exit(1)
