"""The training loop: one run from its first step to its last, with its logs and checkpoints.

:meth:`Trainer.run` reads top to bottom: set up the run directory, then one loop. Each
iteration is one step (:meth:`~zi2zi_core.training.session.TrainingSession.train_step`,
whose values stay on the device); once per tick (``log_every`` steps, the last step, or a
stop) the tick is read back (one sync) and logged, and a run of ``nan_tolerance`` skipped
steps reloads the last checkpoint and halves the learning rate; then validation, sample
grids and checkpoints when they are due; a stop request ends the loop after its checkpoint.

Build one with :func:`zi2zi_core.training.prepare.prepare_run` (which opens the dataset and
the checkpoint once and checks them before anything is written), or directly for tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from glyphrender.atomic import write_text_atomic
from glyphrender.dataset.shards import Dataset
from glyphrender.progress import Progress

from zi2zi_core.cpu_threads import CpuThreads
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.metric_names import is_better
from zi2zi_core.rundir.checkpoint import (
    newest_intact_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from zi2zi_core.rundir.metrics_log import MetricsLog
from zi2zi_core.training import distributed as dist_utils
from zi2zi_core.training.config import RunConfig, config_json, to_toml
from zi2zi_core.training.distributed import DistInfo
from zi2zi_core.training.fewshot import TrainPick, write_pick_record
from zi2zi_core.training.logs import TensorBoard
from zi2zi_core.training.phases import PhaseTimer
from zi2zi_core.training.schedule import lr_factor
from zi2zi_core.training.session import TrainingSession

__all__ = ["PhaseTimer", "TrainResult", "Trainer", "TrainingError", "lr_factor"]


class TrainingError(Zi2ziError):
    """Training cannot go on (e.g. it diverged before any checkpoint existed)."""


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    step: int
    interrupted: bool
    checkpoint: Path | None


class Trainer(TrainingSession):
    """One training run: the session's state and step, driven by :meth:`run`, which writes
    the run directory (rank 0). ``write_logs`` False: no metrics log or TensorBoard events."""

    def __init__(
        self,
        config: RunConfig,
        run_dir: Path,
        *,
        resume: bool = False,
        dist_info: DistInfo | None = None,
        on_message: Callable[[str], None] | None = None,
        write_logs: bool = True,
        dataset: Dataset | None = None,
        resume_from: tuple[dict[str, Any], Path] | None = None,
        init_from: tuple[dict[str, Any], Path] | None = None,
        train_pick: TrainPick | None = None,
        cpu_threads: CpuThreads | None = None,
    ) -> None:
        super().__init__(
            config,
            run_dir,
            resume=resume,
            dist_info=dist_info,
            on_message=on_message,
            dataset=dataset,
            resume_from=resume_from,
            init_from=init_from,
            train_pick=train_pick,
        )
        self.stop_requested = False
        self.cpu_threads = cpu_threads  # what the command chose and applied, for the record
        self.write_logs = write_logs and self.info.is_main
        self.metrics = MetricsLog(self.run_dir)
        self.tensorboard: TensorBoard | None = None

    def request_stop(self) -> None:
        """Finish the current step, write a checkpoint and return (signal handlers call this)."""
        self.stop_requested = True

    # -- the loop ----------------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> TrainResult:
        """Train until ``steps`` (or a stop request); returns where it ended. ``progress``
        (the command's) is told each step and the latest losses of each tick."""
        cfg, info = self.cfg, self.info
        first_step = self.step
        if progress is None or not info.is_main:
            progress = Progress("train", cfg.steps, enabled=False)
        last_saved: Path | None = None
        interrupted = False
        try:
            self._start()
            self.generator.train()
            self.discriminator.train()
            while self.step < cfg.steps:
                self.train_step()
                step = self.step
                progress.update(step)  # rate and ETA each step; losses once per tick
                end = step >= cfg.steps
                # once per tick: read back and log; a NaN streak rolls back to a checkpoint
                single_stop = self.stop_requested and not info.enabled
                if step % cfg.log_every == 0 or end or single_stop:
                    if self._end_tick(progress):
                        self._rollback()
                        continue
                    if info.enabled:  # every rank stops at the same tick
                        self.stop_requested = dist_utils.any_rank(
                            self.stop_requested, info, self.device
                        )
                # validation, sample grids and checkpoints, when due
                has_val = self.validator is not None
                val_due = has_val and (step % cfg.val_every == 0 or end)
                is_best = val_due and self._validate(step, first_step)
                if has_val and info.is_main and (step % cfg.sample_every == 0 or end):
                    self._sample()
                # a stop: at once in one process, under torchrun at the tick all ranks agreed on
                stopping = self.stop_requested and (not info.enabled or step % cfg.log_every == 0)
                regular = step % cfg.checkpoint_every == 0 or end or stopping
                if regular or is_best:
                    last_saved = self.save(regular, is_best) or last_saved
                if stopping:
                    if self.write_logs:
                        self.metrics.write(
                            "event", step, event="interrupted", checkpoint=str(last_saved)
                        )
                    interrupted = True
                    break
        finally:
            progress.close()
            self.sampler.close()
            self.metrics.close()
            if self.tensorboard is not None:
                self.tensorboard.close()
        return TrainResult(self.run_dir, self.step, interrupted, last_saved)

    # -- what the loop does, in the order it does it -----------------------------------------
    def _start(self) -> None:
        """Rank 0 writes the run config, trims a resumed log and opens TensorBoard."""
        if self.info.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.write_run_config()
            if self.step > 0:
                self.metrics.truncate_after(self.step)
                self.metrics.write("event", self.step, event="resume")
            self.tensorboard = TensorBoard(self.run_dir, enabled=self.write_logs)
        threads = ""
        if self.device.type == "cpu" and self.cpu_threads is not None:
            threads = f", {self.cpu_threads.describe()}"
        self.say(
            f"training {self.run_dir} on {self.device} ({self.precision}, "
            f"{self.info.world_size} process(es){threads}), data {self.sampler.mode}, "
            f"steps {self.step} -> {self.cfg.steps}"
        )

    def _end_tick(self, progress: Progress) -> bool:
        """Read the tick's numbers back (one sync), log them; True when a rollback is due."""
        tick = self.tick.read(self.info)
        images_per_s = tick.steps_per_s * self.cfg.batch_size * self.info.world_size
        if self.write_logs:
            self.metrics.write(
                "train",
                self.step,
                lr=tick.lr,
                steps=tick.steps,
                skipped=tick.skipped,
                images_per_s=round(images_per_s, 2),
                **tick.losses,
            )
            if self.tensorboard is not None:
                scalars = {**tick.losses, "lr": tick.lr, "images_per_s": images_per_s}
                self.tensorboard.scalars("train", self.step, scalars)
            if tick.skipped > 0:
                self.say(
                    f"step {self.step}: skipped {tick.skipped} update(s) with non-finite losses"
                )
        losses = ("d_loss", "g_loss", "g_l1")
        progress.update(
            self.step, " ".join(f"{k} {tick.losses[k]:.3g}" for k in losses if k in tick.losses)
        )
        rollback = tick.max_streak >= self.cfg.nan_tolerance
        self.tick.reset(self.cfg.lr)
        return dist_utils.any_rank(rollback, self.info, self.device)

    def _rollback(self) -> None:
        """Reload the last checkpoint and halve the learning rate (after a NaN streak)."""
        cfg = self.cfg
        dist_utils.barrier(self.info)
        # the newest intact one at or before this step: a corrupt file is reported, not loaded
        found = newest_intact_checkpoint(
            self.run_dir, self.device, at_most=self.step, on_refused=self.say
        )
        if found is None:
            raise TrainingError(
                f"training diverged ({cfg.nan_tolerance} non-finite steps in a row at step "
                f"{self.step}) before the first checkpoint; lower --lr"
            )
        failed_at, path = self.step, found.path
        self.load_state(found.state, path)
        self.lr_scale *= 0.5
        self.tick.clear_streak()  # samplers follow self.step
        if self.write_logs:
            self.metrics.write(
                "event",
                self.step,
                event="nan_rollback",
                failed_at=failed_at,
                checkpoint=str(path),
                lr_scale=self.lr_scale,
            )
        self.say(
            f"step {failed_at}: {cfg.nan_tolerance} non-finite steps in a row; reloaded "
            f"{path.name} (step {self.step}) and lowered the learning rate to "
            f"{cfg.lr * self.lr_scale:.3g} (x{self.lr_scale:g})"
        )

    def _validate(self, step: int, first_step: int) -> bool:
        """Score the EMA generator on val (rank 0), log it; True when it is the best so far."""
        metric = self.cfg.best_metric
        is_best = False
        if self.info.is_main and self.validator is not None:
            had_baseline = self.validator.baseline is not None
            scores = self.validator.scores(self.ema.module)
            if not had_baseline and self.write_logs and first_step == 0:
                baseline = self.validator.baseline
                self.metrics.write("baseline", self.step, what="copy the source", **baseline)
            value = scores[metric]
            is_best = is_better(metric, value, self.best["value"])
            if is_best:
                self.best = {"metric": metric, "value": value, "step": step}
            if self.write_logs:
                self.metrics.write("val", step, **scores, best=is_best)
                if self.tensorboard is not None:
                    self.tensorboard.scalars("val", step, scores)
        dist_utils.barrier(self.info)
        return is_best

    def _sample(self) -> None:
        """Save the sample grid of this step (rank 0)."""
        count, path = self.cfg.sample_count, self.layout.sample(self.step)
        image = self.validator.sample_grid(self.ema.module, count, path)
        if image is not None and self.tensorboard is not None:
            self.tensorboard.image("samples", self.step, torch.from_numpy(image))

    def save(self, regular: bool = True, best: bool = False) -> Path | None:
        """Write ``ckpt-STEP.pt`` (pruning to the last K) and/or ``best.pt``; rank 0 only."""
        path = self.layout.checkpoint(self.step) if regular else None
        if self.info.is_main:
            state = self.state_dict()
            if path is not None:
                save_checkpoint(state, path)
                prune_checkpoints(self.run_dir, self.cfg.keep_checkpoints)
            if best:
                save_checkpoint(state, self.layout.best_checkpoint)
        dist_utils.barrier(self.info)
        return path

    def write_run_config(self) -> None:
        """``config.json`` and ``config.toml`` (rank 0 only)."""
        if not self.info.is_main:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config = self.config.to_dict()
        write_text_atomic(self.layout.config_toml, to_toml(config), "the run config")
        if self.cpu_threads is not None:  # what train.threads resolved to on this machine
            config["cpu_threads"] = self.cpu_threads.to_dict()
        write_text_atomic(self.layout.config_json, config_json(config), "the run config")
        if self.train_pick is not None:
            write_pick_record(self.run_dir, self.train_pick)
