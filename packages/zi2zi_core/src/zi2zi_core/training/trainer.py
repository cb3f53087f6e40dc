"""The training loop: networks, optimizers, schedule, EMA, validation, checkpoints, faults.

One step = ``g_steps_per_d`` generator updates and one discriminator update on the same batch
(zi2zi's ratio). Losses are accumulated on the device and read back once per tick
(``log_every`` steps), so the host does not wait for the device every step.

Non-finite losses skip the update without a host sync: the optimizers are fused Adam, which
take a ``found_inf`` flag on the device (the protocol ``torch.amp.GradScaler`` uses) and leave
weights and moments untouched when it is set. A run of ``nan_tolerance`` skipped steps in a row
reloads the last checkpoint and halves the learning rate.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from glyphrender.atomic import write_bytes_atomic
from glyphrender.shards import MANIFEST_NAME, Dataset, sha256_file
from torch import nn

from zi2zi_core.errors import CheckpointError, ConfigError, Zi2ziError
from zi2zi_core.evaluation.metrics import ink_iou, l1, ssim
from zi2zi_core.models.imaging import from_model, to_model, unit_from_coverage
from zi2zi_core.models.losses import discriminator_loss, generator_loss
from zi2zi_core.models.networks import build_discriminator, build_generator
from zi2zi_core.rundir.checkpoint import (
    BEST_NAME,
    FORMAT_VERSION,
    checkpoint_dir,
    checkpoint_path,
    latest_checkpoint,
    load_checkpoint,
    prune_checkpoints,
    resolve_checkpoint,
    save_checkpoint,
    transfer_weights,
)
from zi2zi_core.training import distributed as dist_utils
from zi2zi_core.training.config import BEST_METRICS, RunConfig, to_toml
from zi2zi_core.training.data import (
    STREAM_DROPOUT,
    Augmenter,
    derive_seed,
    load_val,
    open_train_sampler,
)
from zi2zi_core.training.distributed import DistInfo
from zi2zi_core.training.ema import EMA
from zi2zi_core.training.logs import MetricsLog, Progress, TensorBoard
from zi2zi_core.training.samples import grid_image, sample_path, save_grid

CONFIG_JSON = "config.json"
CONFIG_TOML = "config.toml"


class TrainingError(Zi2ziError):
    """Training cannot go on (e.g. it diverged before any checkpoint existed)."""


def pick_device(name: str, info: DistInfo | None = None) -> torch.device:
    """``auto``: CUDA (this rank's GPU), then MPS, then CPU."""
    local = info.local_rank if info else 0
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local)
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("--device cuda: no CUDA device is available")
        if device.index is None:
            device = torch.device("cuda", local)
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("--device mps: MPS is not available")
    return device


def pick_precision(name: str, device: torch.device) -> str:
    """``auto``: bf16 on CUDA GPUs that support it, fp32 elsewhere."""
    if name == "auto":
        cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return "bf16" if cuda_bf16 else "fp32"
    return name


def lr_factor(
    schedule: str, step: int, total: int, final_ratio: float, every: int, gamma: float
) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) of ``total`` steps."""
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return gamma ** (step // every)
    progress = min(step / max(total - 1, 1), 1.0)
    if schedule == "linear":
        return 1.0 - (1.0 - final_ratio) * progress
    if schedule == "cosine":
        return final_ratio + (1.0 - final_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ConfigError(f"unknown lr schedule {schedule!r}")


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    step: int
    interrupted: bool
    checkpoint: Path | None


class PhaseTimer:
    """Wall time per phase of a step, synchronizing the device at each mark (benchmarks only)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.totals: dict[str, float] = {}
        self._last = time.perf_counter()

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elif self.device.type == "mps":
            torch.mps.synchronize()

    def start(self) -> None:
        self._sync()
        self._last = time.perf_counter()

    def mark(self, phase: str) -> None:
        self._sync()
        now = time.perf_counter()
        self.totals[phase] = self.totals.get(phase, 0.0) + now - self._last
        self._last = now


def grad_norm(net: nn.Module) -> torch.Tensor:
    """Total L2 norm of the gradients of ``net`` (a device scalar: no host sync)."""
    norms = [
        torch.linalg.vector_norm(p.grad.detach().float())
        for p in net.parameters()
        if p.grad is not None
    ]
    if not norms:
        return torch.zeros((), device=next(net.parameters()).device)
    return torch.linalg.vector_norm(torch.stack(norms))


def _unwrap(net: nn.Module) -> nn.Module:
    return net.module if isinstance(net, nn.parallel.DistributedDataParallel) else net


class Trainer:
    """Owns one training run. Library code: it raises, never prints; messages go to
    ``on_message`` (the CLI passes a function writing to stderr)."""

    def __init__(
        self,
        config: RunConfig,
        run_dir: Path,
        *,
        resume: bool = False,
        dist_info: DistInfo | None = None,
        on_message: Callable[[str], None] | None = None,
        write_logs: bool = True,
    ) -> None:
        self.config = config
        self.model_cfg, self.loss_cfg, self.cfg = config.model, config.loss, config.train
        self.run_dir = Path(run_dir)
        self.info = dist_info or DistInfo()
        self.say = on_message or (lambda _msg: None)
        self.device = pick_device(self.cfg.device, self.info)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        dist_utils.init(self.info, self.device)
        self.precision = pick_precision(self.cfg.precision, self.device)
        self.dataset = Dataset.open(self.cfg.shards)
        if self.dataset.glyph_px != self.model_cfg.glyph_px:
            raise ConfigError(
                f"{self.dataset.path}: {self.dataset.glyph_px} px glyphs, the model is built for "
                f"{self.model_cfg.glyph_px} px"
            )
        self.timer: PhaseTimer | None = None
        self._stop_requested = False
        self._injected: set[int] = set()
        self.step = 0
        self.lr_scale = 1.0
        self.best: dict[str, Any] = {"metric": self.cfg.best_metric, "value": None, "step": None}

        torch.manual_seed(self.cfg.seed)  # identical initial weights on every rank
        self.generator = build_generator(self.model_cfg).to(self.device)
        self.discriminator = build_discriminator(self.model_cfg).to(self.device)
        if self.cfg.channels_last:
            self.generator.to(memory_format=torch.channels_last)
            self.discriminator.to(memory_format=torch.channels_last)
        self.ema = EMA(self.generator, self.cfg.ema_decay)
        self.opt_g = self._adam(self.generator)
        self.opt_d = self._adam(self.discriminator)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")

        if resume:
            path = latest_checkpoint(self.run_dir)
            if path is None:
                raise CheckpointError(f"{self.run_dir}: nothing to resume (no checkpoints)")
            self.load_state(load_checkpoint(path, map_location=self.device), path)
        elif self.cfg.init_from:
            self._init_from(Path(self.cfg.init_from))

        self.g_train: nn.Module = self.generator
        self.d_train: nn.Module = self.discriminator
        if self.cfg.compile:
            self.generator.compile()
            self.discriminator.compile()
        if self.info.enabled:
            # No buffer sync in forward: D runs several forwards per backward, and overwriting
            # BN / spectral-norm buffers in between would modify tensors autograd still needs.
            # Each rank keeps the batch statistics of its own batch; u/v vectors evolve alike
            # on all ranks because the weights do.
            ddp = nn.parallel.DistributedDataParallel
            kwargs: dict[str, Any] = {
                "device_ids": [self.device.index] if self.device.type == "cuda" else None
            }
            if "forward_sync_buffers" in inspect.signature(ddp.__init__).parameters:
                kwargs["forward_sync_buffers"] = False  # torch >= 2.13 spelling
            else:
                kwargs["broadcast_buffers"] = False
            self.g_train = ddp(self.generator, **kwargs)
            self.d_train = ddp(self.discriminator, **kwargs)

        budget = self.cfg.memory_budget_bytes()
        self.sampler = open_train_sampler(
            self.dataset, self.device, self.cfg.batch_size, self.cfg.seed, self.info.rank, budget
        )
        self.augment = Augmenter(
            self.device, self.cfg.augment_max_scale, self.cfg.augment, self.cfg.seed, self.info.rank
        )
        self.val = None
        if "val" in self.dataset.manifest["splits"] and self.dataset.count("val") > 0:
            self.val = load_val(
                self.dataset, self.cfg.val_max_samples, pin=self.device.type == "cuda"
            )
        self.write_logs = write_logs and self.info.is_main
        self.metrics = MetricsLog(self.run_dir)
        self.tensorboard: TensorBoard | None = None
        self._nan = torch.tensor(float("nan"), device=self.device)
        self._reset_tick()

    # -- construction helpers ----------------------------------------------------------------
    def _adam(self, net: nn.Module) -> torch.optim.Adam:
        """Fused Adam where this torch has it (CPU since 2.4): it can skip a step on the device."""
        kwargs = {"lr": self.cfg.lr, "betas": (self.cfg.beta1, self.cfg.beta2)}
        try:
            return torch.optim.Adam(net.parameters(), fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            return torch.optim.Adam(net.parameters(), **kwargs)

    def _init_from(self, path: Path) -> None:
        src_path = resolve_checkpoint(path, "best")
        state = load_checkpoint(src_path, map_location=self.device)
        resized = transfer_weights(state["generator"], self.generator, "generator", src_path)
        transfer_weights(state["discriminator"], self.discriminator, "discriminator", src_path)
        self.ema = EMA(self.generator, self.cfg.ema_decay)
        transfer_weights(state["ema"], self.ema.module, "EMA generator", src_path)
        note = f"; style tables resized: {', '.join(resized)}" if resized else ""
        self.say(f"initialized from {src_path} (step {state['step']}){note}")

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        rng = {"torch_cpu": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["torch_cuda"] = torch.cuda.get_rng_state_all()
        manifest = self.dataset.path / MANIFEST_NAME
        return {
            "format_version": FORMAT_VERSION,
            "step": self.step,
            "config": self.config.to_dict(),
            "dataset": {
                "path": str(self.dataset.path.resolve()),
                "manifest_sha256": sha256_file(manifest),
            },
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "ema": self.ema.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "scaler": self.scaler.state_dict(),
            "schedule": {"lr_scale": self.lr_scale},
            "rng": rng,
            "best": dict(self.best),
        }

    def load_state(self, state: dict[str, Any], path: Path) -> None:
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
        self.scaler.load_state_dict(state["scaler"]) if state.get("scaler") else None
        self.step = int(state["step"])
        self.lr_scale = float(state["schedule"]["lr_scale"])
        best = state.get("best") or {}
        if best.get("metric") == self.cfg.best_metric:
            self.best = dict(best)
        torch.set_rng_state(state["rng"]["torch_cpu"].cpu())
        if self.device.type == "cuda" and "torch_cuda" in state["rng"]:
            torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["torch_cuda"]])

    def save(self, regular: bool = True, best: bool = False) -> Path | None:
        """Write ``ckpt-STEP.pt`` (pruning to the last K) and/or ``best.pt``; rank 0 only."""
        path = checkpoint_path(self.run_dir, self.step) if regular else None
        if self.info.is_main:
            state = self.state_dict()
            if path is not None:
                save_checkpoint(state, path)
                prune_checkpoints(self.run_dir, self.cfg.keep_checkpoints)
            if best:
                save_checkpoint(state, checkpoint_dir(self.run_dir) / BEST_NAME)
        dist_utils.barrier(self.info)
        return path

    def write_run_config(self) -> None:
        if not self.info.is_main:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config = self.config.to_dict()
        for name, text in (
            (CONFIG_JSON, json.dumps(config, indent=2) + "\n"),
            (CONFIG_TOML, to_toml(config)),
        ):
            write_bytes_atomic(self.run_dir / name, text.encode("utf-8"))

    # -- the loop ------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Finish the current step, write a checkpoint and return (signal handlers call this)."""
        self._stop_requested = True

    def _autocast(self):
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _mark(self, phase: str) -> None:
        if self.timer is not None:
            self.timer.mark(phase)

    def _apply(self, opt: torch.optim.Optimizer, loss: torch.Tensor, bad: torch.Tensor) -> None:
        """Backward and update, the update skipped on the device when ``bad`` is set."""
        if self.scaler.is_enabled():
            self.scaler.step(opt)
            self.scaler.update()
            return
        if getattr(opt, "_step_supports_amp_scaling", False):
            opt.grad_scale = None  # the GradScaler protocol of fused optimizers
            opt.found_inf = bad.float()
            opt.step()
        elif not bool(bad):  # non-fused fallback: this syncs
            opt.step()

    def _grad_norm(self, net: nn.Module) -> torch.Tensor:
        """The gradient norm of the loss itself: a (future fp16) loss scale divided out."""
        norm = grad_norm(net)
        return norm / self.scaler.get_scale() if self.scaler.is_enabled() else norm

    def _bad(self, loss: torch.Tensor) -> torch.Tensor:
        bad = ~torch.isfinite(loss)
        if self.info.enabled:  # a NaN on one rank poisons the averaged gradients of all
            flag = bad.float()
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            bad = flag > 0
        return bad

    def train_step(self) -> None:
        """One step at ``self.step`` (0-based index); advances ``self.step``."""
        index = self.step
        cl = torch.channels_last if self.cfg.channels_last else torch.contiguous_format
        if self.timer is not None:
            self.timer.start()
        batch = self.sampler.batch(index)
        source, target = self.augment(batch, index)
        source = source.contiguous(memory_format=cl)
        target = target.contiguous(memory_format=cl)
        style = batch.style
        self._mark("data")
        torch.manual_seed(derive_seed(self.cfg.seed, self.info.rank, STREAM_DROPOUT, index))
        lr = (
            self.cfg.lr
            * self.lr_scale
            * lr_factor(
                self.cfg.lr_schedule,
                index,
                self.cfg.steps,
                self.cfg.lr_final_ratio,
                self.cfg.lr_step_every,
                self.cfg.lr_step_gamma,
            )
        )
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        inject = (index + 1) in self.cfg.debug_inject_nan_at_steps and index not in self._injected
        if inject:
            self._injected.add(index)

        g_encode = _unwrap(self.g_train).encode
        bad_any = torch.zeros((), dtype=torch.bool, device=self.device)
        for _ in range(self.loss_cfg.g_steps_per_d):
            with self._autocast():
                fake, source_encoding = self.g_train(source, style, return_encoding=True)
                fake_encoding = g_encode(fake)
                fake_out = self.d_train(source, fake)
                g_terms = generator_loss(
                    fake_out, fake, target, style, fake_encoding, source_encoding, self.loss_cfg
                )
            g_loss = g_terms.total.float()
            if inject:
                g_loss = g_loss * self._nan
            self._mark("g_forward")
            self.opt_g.zero_grad(set_to_none=True)
            self.scaler.scale(g_loss).backward()
            g_grad_norm = self._grad_norm(self.g_train)
            self._mark("g_backward")
            bad = self._bad(g_loss)
            self._apply(self.opt_g, g_loss, bad)
            bad_any = bad_any | bad
            self._mark("g_optimizer")

        fake = fake.detach()
        with self._autocast():
            real_out = self.d_train(source, target)
            fake_out = self.d_train(source, fake)
            d_terms = discriminator_loss(real_out, fake_out, style, self.loss_cfg)
        d_loss = d_terms.total.float()
        if inject:
            d_loss = d_loss * self._nan
        self._mark("d_forward")
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler.scale(d_loss).backward()
        d_grad_norm = self._grad_norm(self.d_train)
        self._mark("d_backward")
        bad = self._bad(d_loss)
        self._apply(self.opt_d, d_loss, bad)
        bad_any = bad_any | bad
        self.ema.update(self.generator, index)
        self._mark("d_optimizer_ema")

        values = {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            # Of the last G update and the D update of the step; means over the tick are logged.
            "grad_norm_g": g_grad_norm,
            "grad_norm_d": d_grad_norm,
        }
        values.update({k: v.float() for k, v in d_terms.parts.items()})
        values.update({k: v.float() for k, v in g_terms.parts.items()})
        self._accumulate(values, bad_any, lr)
        self.step += 1

    def _reset_tick(self) -> None:
        self._names: list[str] | None = None
        self._sums: torch.Tensor | None = None
        self._good = torch.zeros((), device=self.device)
        self._skipped = torch.zeros((), device=self.device)
        self._streak = getattr(self, "_streak", torch.zeros((), device=self.device))
        self._max_streak = torch.zeros((), device=self.device)
        self._tick_steps = 0
        self._tick_start = time.perf_counter()
        self._lr = self.cfg.lr

    def _accumulate(self, values: dict[str, torch.Tensor], bad: torch.Tensor, lr: float) -> None:
        if self._names is None:
            self._names = list(values)
        vec = torch.stack([values[k] for k in self._names])
        vec = torch.where(bad, torch.zeros_like(vec), vec)
        self._sums = vec if self._sums is None else self._sums + vec
        badf = bad.float()
        self._good = self._good + (1 - badf)
        self._skipped = self._skipped + badf
        self._streak = (self._streak + 1) * badf
        self._max_streak = torch.maximum(self._max_streak, self._streak)
        self._tick_steps += 1
        self._lr = lr

    def _end_tick(self, progress: Progress) -> bool:
        """Read the tick's numbers back (one sync), log them; True when a rollback is due."""
        names = self._names or []
        packed = torch.cat(
            [
                self._sums if self._sums is not None else torch.zeros(0, device=self.device),
                torch.stack([self._good, self._skipped, self._max_streak]),
            ]
        )
        packed = dist_utils.mean_across(packed, self.info) if self.info.enabled else packed
        *sums, good, skipped, max_streak = packed.tolist()
        elapsed = max(time.perf_counter() - self._tick_start, 1e-9)
        steps_per_s = self._tick_steps / elapsed
        images_per_s = steps_per_s * self.cfg.batch_size * self.info.world_size
        losses = {
            k: (s / good if good > 0 else float("nan")) for k, s in zip(names, sums, strict=True)
        }
        if self.write_logs:
            self.metrics.write(
                "train",
                self.step,
                lr=self._lr,
                steps=self._tick_steps,
                skipped=round(skipped),
                images_per_s=round(images_per_s, 2),
                **losses,
            )
            if self.tensorboard is not None:
                self.tensorboard.scalars(
                    "train", self.step, {**losses, "lr": self._lr, "images_per_s": images_per_s}
                )
            if skipped > 0:
                self.say(
                    f"step {self.step}: skipped {round(skipped)} update(s) with non-finite losses"
                )
        shown = {k: losses[k] for k in ("d_loss", "g_loss", "g_l1") if k in losses}
        progress.update(self.step, shown, images_per_s, steps_per_s)
        rollback = max_streak >= self.cfg.nan_tolerance
        self._reset_tick()
        return dist_utils.any_rank(rollback, self.info, self.device)

    def _rollback(self) -> None:
        dist_utils.barrier(self.info)
        path = latest_checkpoint(self.run_dir)
        if path is None:
            raise TrainingError(
                f"training diverged ({self.cfg.nan_tolerance} non-finite steps in a row at step "
                f"{self.step}) before the first checkpoint; lower --lr"
            )
        failed_at = self.step
        self.load_state(load_checkpoint(path, map_location=self.device), path)
        self.lr_scale *= 0.5
        self._streak = torch.zeros((), device=self.device)  # samplers follow self.step
        message = (
            f"step {failed_at}: {self.cfg.nan_tolerance} non-finite steps in a row; reloaded "
            f"{path.name} (step {self.step}) and lowered the learning rate to "
            f"{self.cfg.lr * self.lr_scale:.3g} (x{self.lr_scale:g})"
        )
        if self.write_logs:
            self.metrics.write(
                "event",
                self.step,
                event="nan_rollback",
                failed_at=failed_at,
                checkpoint=str(path),
                lr_scale=self.lr_scale,
            )
        self.say(message)

    # -- validation and samples ----------------------------------------------------------------
    @torch.no_grad()
    def _generate(self, source_u8: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """uint8 (B, H, W) sources -> uint8 generated glyphs with the EMA generator."""
        with self._autocast():
            fake = self.ema.module(to_model(source_u8).unsqueeze(1), style)
        return from_model(fake.float()).squeeze(1)

    @torch.no_grad()
    def _score(self, pred_u8: torch.Tensor, target_u8: torch.Tensor) -> torch.Tensor:
        pred, target = unit_from_coverage(pred_u8), unit_from_coverage(target_u8)
        return torch.stack(
            [l1(pred, target).sum(), ssim(pred, target).sum(), ink_iou(pred, target).sum()]
        )

    def validate(self) -> dict[str, float]:
        """Val L1 / SSIM / ink IoU of the EMA generator (and of copying the source)."""
        assert self.val is not None
        model = torch.zeros(3, dtype=torch.float64, device=self.device)
        base = torch.zeros(3, dtype=torch.float64, device=self.device)
        need_baseline = not hasattr(self, "_baseline")
        for batch in self.val.batches(self.cfg.batch_size, self.device):
            model += self._score(self._generate(batch.source, batch.style), batch.target)
            if need_baseline:
                base += self._score(batch.source, batch.target)
        n = len(self.val)
        if need_baseline:
            b = (base / n).tolist()
            self._baseline = {"val_l1": b[0], "val_ssim": b[1], "val_iou": b[2]}
            if self.write_logs and self._start_step == 0:
                self.metrics.write("baseline", self.step, what="copy the source", **self._baseline)
        m = (model / n).tolist()
        return {"val_l1": m[0], "val_ssim": m[1], "val_iou": m[2]}

    def _is_better(self, value: float) -> bool:
        if self.best["value"] is None:
            return True
        lower = BEST_METRICS[self.cfg.best_metric] == "min"
        return value < self.best["value"] if lower else value > self.best["value"]

    def _sample_grid(self) -> None:
        assert self.val is not None
        n = min(self.cfg.sample_count, len(self.val))
        if n == 0:
            return
        keep = torch.linspace(0, len(self.val) - 1, n).round().long()
        source = self.val.source[keep].to(self.device)
        target = self.val.target[keep]
        generated = self._generate(source, self.val.style[keep].to(self.device)).cpu()
        save_grid(sample_path(self.run_dir, self.step), source.cpu(), generated, target)
        if self.tensorboard is not None:
            image = grid_image(source.cpu(), generated, target)
            self.tensorboard.image("samples", self.step, torch.from_numpy(image))

    # -- driver ------------------------------------------------------------------------------------
    def run(self) -> TrainResult:
        """Train until ``steps`` (or a stop request); returns where it ended."""
        cfg = self.cfg
        self._start_step = self.step
        if self.info.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.write_run_config()
            if self.step > 0:
                self.metrics.truncate_after(self.step)
                self.metrics.write("event", self.step, event="resume")
            self.tensorboard = TensorBoard(self.run_dir, enabled=self.write_logs)
        self.say(
            f"training {self.run_dir} on {self.device} ({self.precision}, "
            f"{self.info.world_size} process(es)), data {self.sampler.mode}, "
            f"steps {self.step} -> {cfg.steps}"
        )
        progress = Progress(cfg.steps, enabled=self.info.is_main)
        interrupted = False
        last_saved: Path | None = None
        self.generator.train()
        self.discriminator.train()
        try:
            while self.step < cfg.steps:
                self.train_step()
                step = self.step
                end = step >= cfg.steps
                single_stop = self._stop_requested and not self.info.enabled
                if step % cfg.log_every == 0 or end or single_stop:
                    if self._end_tick(progress):
                        self._rollback()
                        continue
                    if self.info.enabled:
                        self._stop_requested = dist_utils.any_rank(
                            self._stop_requested, self.info, self.device
                        )
                is_best = False
                if self.val is not None and (step % cfg.val_every == 0 or end):
                    if self.info.is_main:
                        scores = self.validate()
                        value = scores[cfg.best_metric]
                        is_best = self._is_better(value)
                        if is_best:
                            self.best = {"metric": cfg.best_metric, "value": value, "step": step}
                        if self.write_logs:
                            self.metrics.write("val", step, **scores, best=is_best)
                            if self.tensorboard is not None:
                                self.tensorboard.scalars("val", step, scores)
                    dist_utils.barrier(self.info)
                if (
                    self.val is not None
                    and self.info.is_main
                    and (step % cfg.sample_every == 0 or end)
                ):
                    self._sample_grid()
                stopping = self._stop_requested and (
                    not self.info.enabled or step % cfg.log_every == 0
                )
                regular = step % cfg.checkpoint_every == 0 or end or stopping
                if regular or is_best:
                    last_saved = self.save(regular, is_best) or last_saved
                if stopping:
                    interrupted = True
                    if self.write_logs:
                        self.metrics.write(
                            "event", step, event="interrupted", checkpoint=str(last_saved)
                        )
                    break
        finally:
            progress.close()
            self.sampler.close()
            self.metrics.close()
            if self.tensorboard is not None:
                self.tensorboard.close()
        return TrainResult(self.run_dir, self.step, interrupted, last_saved)
