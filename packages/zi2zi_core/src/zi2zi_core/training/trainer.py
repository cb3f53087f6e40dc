"""The training loop: owns one run's networks, optimizers, data, logs and checkpoints.

A step (:meth:`Trainer.train_step`) fetches a batch and runs the G and D phases of
:mod:`zi2zi_core.training.phases`; per-step values stay on the device in
:class:`~zi2zi_core.training.tick.TickStats` and are read back once per tick (``log_every``
steps), so the host does not wait for the device every step. A run of ``nan_tolerance``
skipped steps in a row reloads the last checkpoint and halves the learning rate.

Build one with :func:`zi2zi_core.training.prepare.prepare_run` (which opens the dataset and
the checkpoint once and checks them before anything is written), or directly for tests.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from glyphrender.atomic import write_text_atomic
from glyphrender.dataset.shards import Dataset
from torch import nn

from zi2zi_core.device import pick_device, pick_precision, tune_backend
from zi2zi_core.errors import CheckpointError, Zi2ziError
from zi2zi_core.models.networks import build_discriminator, build_generator
from zi2zi_core.rundir.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    prune_checkpoints,
    resolve_checkpoint,
    save_checkpoint,
    transfer_weights,
)
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.rundir.metrics_log import MetricsLog
from zi2zi_core.training import distributed as dist_utils
from zi2zi_core.training.config import RunConfig, config_json, to_toml
from zi2zi_core.training.data import (
    STREAM_DROPOUT,
    Augmenter,
    derive_seed,
    load_val,
    open_train_sampler,
)
from zi2zi_core.training.distributed import DistInfo
from zi2zi_core.training.ema import EMA
from zi2zi_core.training.fewshot import TrainPick, select_train, write_pick_record
from zi2zi_core.training.graph_step import GraphStep, StepSpec, check_graphs_supported
from zi2zi_core.training.logs import Progress, TensorBoard
from zi2zi_core.training.loop import run_loop
from zi2zi_core.training.phases import Phase, PhaseTimer, StepInputs, run_phases
from zi2zi_core.training.schedule import lr_factor
from zi2zi_core.training.state import load_trainer_state, trainer_state
from zi2zi_core.training.tick import TickStats
from zi2zi_core.training.validation import Validator

__all__ = ["PhaseTimer", "TrainResult", "Trainer", "TrainingError", "lr_factor"]


class TrainingError(Zi2ziError):
    """Training cannot go on (e.g. it diverged before any checkpoint existed)."""


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    step: int
    interrupted: bool
    checkpoint: Path | None


def adam(net: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """Fused Adam where this torch has it (CPU since 2.4): it can skip a step on the device."""
    try:
        return torch.optim.Adam(net.parameters(), lr=lr, betas=betas, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(net.parameters(), lr=lr, betas=betas)


def ddp_wrap(net: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel without buffer sync in forward: D runs several forwards per
    backward, and overwriting BN / spectral-norm buffers in between would modify tensors
    autograd still needs. Each rank keeps the batch statistics of its own batch; u/v vectors
    evolve alike on all ranks because the weights do."""
    ddp = nn.parallel.DistributedDataParallel
    kwargs: dict[str, Any] = {"device_ids": [device.index] if device.type == "cuda" else None}
    if "forward_sync_buffers" in inspect.signature(ddp.__init__).parameters:
        kwargs["forward_sync_buffers"] = False  # torch >= 2.13 spelling
    else:
        kwargs["broadcast_buffers"] = False
    return ddp(net, **kwargs)


class Trainer:
    """Owns one training run. Library code: it raises, never prints; messages go to
    ``on_message`` (the CLI passes a function writing to stderr).

    ``dataset`` and ``resume_from`` (a loaded checkpoint and its path) let
    :func:`~zi2zi_core.training.prepare.prepare_run` hand over what it already opened;
    without them the trainer opens the dataset and (with ``resume``) the latest checkpoint.
    """

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
    ) -> None:
        self.config = config
        self.model_cfg, self.loss_cfg, self.cfg = config.model, config.loss, config.train
        self.run_dir = Path(run_dir)
        self.layout = RunDir(self.run_dir)
        self.info = dist_info or DistInfo()
        self.say = on_message or (lambda _msg: None)
        self.device = pick_device(self.cfg.device, self.info.local_rank)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        tune_backend(self.device)
        if self.cfg.cuda_graphs:
            mode = self.cfg.compile_mode if self.cfg.compile else "default"
            check_graphs_supported(self.device, self.info.enabled, mode)
        dist_utils.init(self.info, self.device)
        self.precision = pick_precision(self.cfg.precision, self.device)
        self.dataset = dataset if dataset is not None else Dataset.open(self.cfg.shards)
        self.train_pick = train_pick or select_train(
            self.dataset, self.cfg.train_limit, self.cfg.train_pick, self.cfg.train_pick_seed
        )
        self.timer: PhaseTimer | None = None
        self.stop_requested = False
        self._injected: set[int] = set()
        self.step = 0
        self.lr_scale = 1.0
        self.best: dict[str, Any] = {"metric": self.cfg.best_metric, "value": None, "step": None}
        self._build_networks()
        if resume and resume_from is None:
            resume_from = self._latest_state()
        if resume_from is not None:
            self.load_state(*resume_from)
        elif init_from is not None or self.cfg.init_from:
            self._init_from(init_from or self._init_state())
        self._wrap_networks()
        self._open_data()
        self.write_logs = write_logs and self.info.is_main
        self.metrics = MetricsLog(self.run_dir)
        self.tensorboard: TensorBoard | None = None
        self._nan = torch.tensor(float("nan"), device=self.device)
        self.tick = TickStats(self.device)
        self.tick.reset(self.cfg.lr)

    # -- construction ------------------------------------------------------------------------
    def _build_networks(self) -> None:
        torch.manual_seed(self.cfg.seed)  # identical initial weights on every rank
        self.generator = build_generator(self.model_cfg).to(self.device)
        self.discriminator = build_discriminator(self.model_cfg).to(self.device)
        if self.cfg.channels_last:
            self.generator.to(memory_format=torch.channels_last)
            self.discriminator.to(memory_format=torch.channels_last)
        self.ema = EMA(self.generator, self.cfg.ema_decay)
        betas = (self.cfg.beta1, self.cfg.beta2)
        self.opt_g = adam(self.generator, self.cfg.lr, betas)
        self.opt_d = adam(self.discriminator, self.cfg.lr, betas)

    def _wrap_networks(self) -> None:
        g_train: nn.Module = self.generator
        d_train: nn.Module = self.discriminator
        if self.cfg.compile:
            mode = None if self.cfg.compile_mode == "default" else self.cfg.compile_mode
            self.generator.compile(mode=mode)
            self.discriminator.compile(mode=mode)
        if self.info.enabled:
            g_train = ddp_wrap(self.generator, self.device)
            d_train = ddp_wrap(self.discriminator, self.device)
        self.g_phase = Phase("g", g_train, self.opt_g)
        self.d_phase = Phase("d", d_train, self.opt_d)
        self.graph_step: GraphStep | None = None
        if self.cfg.cuda_graphs:
            self.use_graph_step(capture=True)

    def use_graph_step(self, capture: bool) -> None:
        """Run steps through :class:`GraphStep` (``capture=False``: its body eagerly, which
        CPU tests compare with the ordinary step)."""
        self.g_phase = replace(self.g_phase, keep_grads=True)
        self.d_phase = replace(self.d_phase, keep_grads=True)
        spec = StepSpec(
            self.g_phase,
            self.d_phase,
            self.generator,
            self.loss_cfg,
            self.precision,
            self.loss_cfg.g_steps_per_d,
        )
        self.graph_step = GraphStep(spec, capture=capture)

    def _open_data(self) -> None:
        cfg = self.cfg
        self.sampler = open_train_sampler(
            self.dataset,
            self.device,
            cfg.batch_size,
            cfg.seed,
            self.info.rank,
            cfg.memory_budget_bytes(),
            rows=None if self.train_pick is None else self.train_pick.rows,
        )
        if self.train_pick is not None:
            self.say(self.train_pick.describe())
        self.augment = Augmenter(
            self.device, cfg.augment_max_scale, cfg.augment, cfg.seed, self.info.rank
        )
        self.validator: Validator | None = None
        if self.dataset.has_split("val") and self.dataset.count("val") > 0:
            val = load_val(self.dataset, cfg.val_max_samples, pin=self.device.type == "cuda")
            self.validator = Validator(val, self.device, self.precision, cfg.batch_size)

    def _latest_state(self) -> tuple[dict[str, Any], Path]:
        path = latest_checkpoint(self.run_dir)
        if path is None:
            raise CheckpointError(f"{self.run_dir}: nothing to resume (no checkpoints)")
        return load_checkpoint(path, map_location=self.device), path

    def _init_state(self) -> tuple[dict[str, Any], Path]:
        path = resolve_checkpoint(Path(self.cfg.init_from), "best")
        return load_checkpoint(path, map_location=self.device), path

    def _init_from(self, loaded: tuple[dict[str, Any], Path]) -> None:
        state, src_path = loaded
        resized = transfer_weights(state["generator"], self.generator, "generator", src_path)
        transfer_weights(state["discriminator"], self.discriminator, "discriminator", src_path)
        self.ema = EMA(self.generator, self.cfg.ema_decay)
        transfer_weights(state["ema"], self.ema.module, "EMA generator", src_path)
        note = f"; style tables resized: {', '.join(resized)}" if resized else ""
        self.say(f"initialized from {src_path} (step {state['step']}){note}")

    # -- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return trainer_state(self)

    def load_state(self, state: dict[str, Any], path: Path) -> None:
        load_trainer_state(self, state, path)
        if getattr(self, "graph_step", None) is not None:  # None while __init__ resumes
            self.graph_step.reset()  # the loaded optimizer state lives in new tensors

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
        write_text_atomic(self.layout.config_json, config_json(config), "the run config")
        write_text_atomic(self.layout.config_toml, to_toml(config), "the run config")
        if self.train_pick is not None:
            write_pick_record(self.run_dir, self.train_pick)

    # -- the step ----------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Finish the current step, write a checkpoint and return (signal handlers call this)."""
        self.stop_requested = True

    def _mark(self, phase: str) -> None:
        if self.timer is not None:
            self.timer.mark(phase)

    def _lr_at(self, index: int) -> float:
        cfg = self.cfg
        factor = lr_factor(
            cfg.lr_schedule,
            index,
            cfg.steps,
            cfg.lr_final_ratio,
            cfg.lr_step_every,
            cfg.lr_step_gamma,
        )
        return cfg.lr * self.lr_scale * factor

    def _inputs(self, index: int) -> StepInputs:
        cl = torch.channels_last if self.cfg.channels_last else torch.contiguous_format
        batch = self.sampler.batch(index)
        source, target = self.augment(batch, index)
        inject = (index + 1) in self.cfg.debug_inject_nan_at_steps and index not in self._injected
        if inject:
            self._injected.add(index)
        return StepInputs(
            source=source.contiguous(memory_format=cl),
            target=target.contiguous(memory_format=cl),
            style=batch.style,
            loss_cfg=self.loss_cfg,
            precision=self.precision,
            poison=self._nan if inject else None,
        )

    def train_step(self) -> None:
        """One step at ``self.step`` (0-based index); advances ``self.step``."""
        index = self.step
        if self.timer is not None:
            self.timer.start()
        inputs = self._inputs(index)
        self._mark("data")
        torch.manual_seed(derive_seed(self.cfg.seed, self.info.rank, STREAM_DROPOUT, index))
        lr = self._lr_at(index)  # a host float: no tensor is built or copied per step
        if self.graph_step is not None:
            values, bad = self.graph_step(inputs, lr)
            self._mark("step")
        else:
            for opt in (self.opt_g, self.opt_d):
                for group in opt.param_groups:
                    group["lr"] = lr
            values, bad = run_phases(
                self.g_phase,
                self.d_phase,
                self.generator,
                inputs,
                g_steps=self.loss_cfg.g_steps_per_d,
                distributed=self.info.enabled,
                mark=self._mark,
            )
        self.ema.update(self.generator, index)
        self._mark("ema")
        self.tick.add(values, bad, lr)
        self.step += 1

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> TrainResult:
        """Train until ``steps`` (or a stop request); returns where it ended."""
        progress = Progress(self.cfg.steps, enabled=self.info.is_main)
        try:
            interrupted, last_saved = run_loop(self, progress)
        finally:
            progress.close()
            self.sampler.close()
            self.metrics.close()
            if self.tensorboard is not None:
                self.tensorboard.close()
        return TrainResult(self.run_dir, self.step, interrupted, last_saved)
