"""What a training step needs and what a checkpoint holds: the networks, optimizers, EMA,
data and counters of one run, one step, and the trainer's side of the checkpoint format.

:class:`TrainingSession` builds everything from a :class:`~zi2zi_core.training.config.RunConfig`
(the order of construction fixes the random streams: weights, resume, data), runs one step
(:meth:`TrainingSession.train_step`: a batch, the G and D phases of
:mod:`zi2zi_core.training.phases`, the EMA update, the tick's device-side sums) and turns its
state into a checkpoint dict and back (:mod:`zi2zi_core.rundir.checkpoint` stores it). It
writes no file; the loop around it, with logs and checkpoints, is
:class:`zi2zi_core.training.trainer.Trainer`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from glyphrender.dataset.shards import MANIFEST_NAME, Dataset, sha256_file
from torch import nn

from zi2zi_core.device import pick_device, pick_precision, tune_backend
from zi2zi_core.errors import CheckpointError
from zi2zi_core.models.networks import build_discriminator, build_generator
from zi2zi_core.rundir.checkpoint import (
    FORMAT_VERSION,
    latest_checkpoint,
    load_checkpoint,
    resolve_checkpoint,
    transfer_weights,
)
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.training import distributed as dist_utils
from zi2zi_core.training.config import RunConfig
from zi2zi_core.training.data import (
    STREAM_DROPOUT,
    Augmenter,
    derive_seed,
    load_val,
    open_train_sampler,
)
from zi2zi_core.training.distributed import DistInfo
from zi2zi_core.training.ema import EMA
from zi2zi_core.training.fewshot import TrainPick, select_train
from zi2zi_core.training.graph_step import GraphStep, StepSpec, check_graphs_supported
from zi2zi_core.training.phases import Phase, PhaseTimer, StepInputs, run_phases
from zi2zi_core.training.schedule import lr_factor
from zi2zi_core.training.tick import TickStats
from zi2zi_core.training.validation import Validator


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


class TrainingSession:
    """The trainable state of one run on one device, and its step. Library code: it raises,
    never prints; messages go to ``on_message``.

    ``dataset`` and ``resume_from`` (a loaded checkpoint and its path) hand over what
    :func:`~zi2zi_core.training.prepare.prepare_run` already opened; without them the session
    opens the dataset and (with ``resume``) the latest checkpoint of ``run_dir``.
    """

    def __init__(
        self,
        config: RunConfig,
        run_dir: Path,
        *,
        resume: bool = False,
        dist_info: DistInfo | None = None,
        on_message: Callable[[str], None] | None = None,
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

    # -- the checkpoint's content ------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The checkpoint dict at the current step (the format is described in
        :mod:`zi2zi_core.rundir.checkpoint`)."""
        rng = {"torch_cpu": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["torch_cuda"] = torch.cuda.get_rng_state_all()
        return {
            "format_version": FORMAT_VERSION,
            "step": self.step,
            "config": self.config.to_dict(),
            "dataset": {
                "path": str(self.dataset.path.resolve()),
                "manifest_sha256": sha256_file(self.dataset.path / MANIFEST_NAME),
            },
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "ema": self.ema.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "scaler": {},  # format 1 keeps the key; no fp16, so no loss scaler state
            "schedule": {"lr_scale": self.lr_scale},
            "rng": rng,
            "best": dict(self.best),
        }

    def load_state(self, state: dict[str, Any], path: Path) -> None:
        """Put a checkpoint's weights, optimizer moments, step, schedule, best and RNG back."""
        saved_model = state["config"]["model"]
        if saved_model != self.config.to_dict()["model"]:
            raise CheckpointError(
                f"{path}: the checkpoint's model config differs from this run's "
                f"({json.dumps(saved_model, sort_keys=True)})"
            )
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.ema.load_state_dict(state["ema"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise CheckpointError(f"{path}: checkpoint does not fit the model ({exc})") from None
        self.step = int(state["step"])
        self.lr_scale = float(state["schedule"]["lr_scale"])
        best = state.get("best") or {}
        if best.get("metric") == self.cfg.best_metric:
            self.best = dict(best)
        torch.set_rng_state(state["rng"]["torch_cpu"].cpu())
        if self.device.type == "cuda" and "torch_cuda" in state["rng"]:
            torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["torch_cuda"]])
        if getattr(self, "graph_step", None) is not None:  # None while __init__ resumes
            self.graph_step.reset()  # the loaded optimizer state lives in new tensors

    # -- the step ----------------------------------------------------------------------------
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
        """One step at ``self.step`` (0-based index); advances ``self.step``. Per-step values
        stay on the device in ``self.tick`` until the loop reads the tick back."""
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
