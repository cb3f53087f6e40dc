"""The driver around the step: ticks, rollbacks, validation, samples, checkpoints, stops.

Functions of a :class:`~zi2zi_core.training.trainer.Trainer` kept out of its class so each
reads as one job; they use only the trainer's public attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from zi2zi_core.evaluation.metric_names import is_better
from zi2zi_core.rundir.checkpoint import newest_intact_checkpoint
from zi2zi_core.training import distributed as dist_utils
from zi2zi_core.training.logs import Progress, TensorBoard

if TYPE_CHECKING:
    from zi2zi_core.training.trainer import Trainer


def start_run(trainer: Trainer) -> None:
    """Rank 0 writes the run config, trims a resumed log and opens TensorBoard."""
    t = trainer
    if t.info.is_main:
        t.run_dir.mkdir(parents=True, exist_ok=True)
        t.write_run_config()
        if t.step > 0:
            t.metrics.truncate_after(t.step)
            t.metrics.write("event", t.step, event="resume")
        t.tensorboard = TensorBoard(t.run_dir, enabled=t.write_logs)
    t.say(
        f"training {t.run_dir} on {t.device} ({t.precision}, "
        f"{t.info.world_size} process(es)), data {t.sampler.mode}, "
        f"steps {t.step} -> {t.cfg.steps}"
    )


def end_tick(trainer: Trainer, progress: Progress) -> bool:
    """Read the tick's numbers back (one sync), log them; True when a rollback is due."""
    t = trainer
    tick = t.tick.read(t.info)
    images_per_s = tick.steps_per_s * t.cfg.batch_size * t.info.world_size
    if t.write_logs:
        t.metrics.write(
            "train",
            t.step,
            lr=tick.lr,
            steps=tick.steps,
            skipped=tick.skipped,
            images_per_s=round(images_per_s, 2),
            **tick.losses,
        )
        if t.tensorboard is not None:
            scalars = {**tick.losses, "lr": tick.lr, "images_per_s": images_per_s}
            t.tensorboard.scalars("train", t.step, scalars)
        if tick.skipped > 0:
            t.say(f"step {t.step}: skipped {tick.skipped} update(s) with non-finite losses")
    shown = {k: tick.losses[k] for k in ("d_loss", "g_loss", "g_l1") if k in tick.losses}
    progress.update(t.step, shown, images_per_s, tick.steps_per_s)
    rollback = tick.max_streak >= t.cfg.nan_tolerance
    t.tick.reset(t.cfg.lr)
    return dist_utils.any_rank(rollback, t.info, t.device)


def rollback(trainer: Trainer) -> None:
    """Reload the last checkpoint and halve the learning rate (after a NaN streak)."""
    from zi2zi_core.training.trainer import TrainingError

    t = trainer
    dist_utils.barrier(t.info)
    # the newest intact one at or before this step: a corrupt file is reported, not loaded
    found = newest_intact_checkpoint(t.run_dir, t.device, at_most=t.step, on_refused=t.say)
    if found is None:
        raise TrainingError(
            f"training diverged ({t.cfg.nan_tolerance} non-finite steps in a row at step "
            f"{t.step}) before the first checkpoint; lower --lr"
        )
    failed_at, path = t.step, found.path
    t.load_state(found.state, path)
    t.lr_scale *= 0.5
    t.tick.clear_streak()  # samplers follow t.step
    if t.write_logs:
        t.metrics.write(
            "event",
            t.step,
            event="nan_rollback",
            failed_at=failed_at,
            checkpoint=str(path),
            lr_scale=t.lr_scale,
        )
    t.say(
        f"step {failed_at}: {t.cfg.nan_tolerance} non-finite steps in a row; reloaded "
        f"{path.name} (step {t.step}) and lowered the learning rate to "
        f"{t.cfg.lr * t.lr_scale:.3g} (x{t.lr_scale:g})"
    )


def validate(trainer: Trainer, step: int, first_step: int) -> bool:
    """Score the EMA generator on val (rank 0), log it; True when it is the best so far."""
    t = trainer
    is_best = False
    if t.info.is_main and t.validator is not None:
        had_baseline = t.validator.baseline is not None
        scores = t.validator.scores(t.ema.module)
        if not had_baseline and t.write_logs and first_step == 0:
            t.metrics.write("baseline", t.step, what="copy the source", **t.validator.baseline)
        value = scores[t.cfg.best_metric]
        is_best = is_better(t.cfg.best_metric, value, t.best["value"])
        if is_best:
            t.best = {"metric": t.cfg.best_metric, "value": value, "step": step}
        if t.write_logs:
            t.metrics.write("val", step, **scores, best=is_best)
            if t.tensorboard is not None:
                t.tensorboard.scalars("val", step, scores)
    dist_utils.barrier(t.info)
    return is_best


def sample(trainer: Trainer) -> None:
    """Save the sample grid of this step (rank 0)."""
    t = trainer
    image = t.validator.sample_grid(t.ema.module, t.cfg.sample_count, t.layout.sample(t.step))
    if image is not None and t.tensorboard is not None:
        t.tensorboard.image("samples", t.step, torch.from_numpy(image))


def run_loop(trainer: Trainer, progress: Progress) -> tuple[bool, Path | None]:
    """Train until ``steps`` or a stop request; returns (interrupted, last checkpoint)."""
    t, cfg = trainer, trainer.cfg
    first_step = t.step
    start_run(t)
    last_saved: Path | None = None
    t.generator.train()
    t.discriminator.train()
    while t.step < cfg.steps:
        t.train_step()
        step = t.step
        end = step >= cfg.steps
        single_stop = t.stop_requested and not t.info.enabled
        if step % cfg.log_every == 0 or end or single_stop:
            if end_tick(t, progress):
                rollback(t)
                continue
            if t.info.enabled:
                t.stop_requested = dist_utils.any_rank(t.stop_requested, t.info, t.device)
        has_val = t.validator is not None
        is_best = has_val and (step % cfg.val_every == 0 or end) and validate(t, step, first_step)
        if has_val and t.info.is_main and (step % cfg.sample_every == 0 or end):
            sample(t)
        stopping = t.stop_requested and (not t.info.enabled or step % cfg.log_every == 0)
        regular = step % cfg.checkpoint_every == 0 or end or stopping
        if regular or is_best:
            last_saved = t.save(regular, is_best) or last_saved
        if stopping:
            if t.write_logs:
                t.metrics.write("event", step, event="interrupted", checkpoint=str(last_saved))
            return True, last_saved
    return False, last_saved
