"""One training step as phases: a G phase and a D phase through one update routine.

A step is ``g_steps_per_d`` G phases then one D phase on the same batch (zi2zi's ratio), as
stylegan2-ada's loop runs its phases: each phase computes its loss, then
:func:`update` does the rest identically for both networks (backward, gradient norm, the
non-finite check, the optimizer step). Nothing here reads a value back to the host, so the
device is never waited for inside a step (the one exception, a non-fused optimizer, is marked
``host sync`` below; the trainer always builds fused Adam), and the same code can be captured
as one CUDA graph (:mod:`zi2zi_core.training.graph_step`).

Non-finite losses skip the update on the device: the optimizers are fused Adam, which take a
``found_inf`` flag (the protocol ``torch.amp.GradScaler`` uses) and leave weights and moments
untouched when it is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from zi2zi_core.device import autocast, synchronize
from zi2zi_core.models.config import LossConfig
from zi2zi_core.models.distance import target_distance
from zi2zi_core.models.losses import (
    LossTerms,
    discriminator_loss,
    discriminator_views,
    generator_loss,
)

Mark = Callable[[str], None]


class PhaseTimer:
    """Wall time per phase of a step, synchronizing the device at each mark (benchmarks only).

    Marks: ``data``, ``g_forward``, ``g_backward``, ``g_optimizer``, ``d_forward``,
    ``d_backward``, ``d_optimizer``, ``ema``.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.totals: dict[str, float] = {}
        self._last = time.perf_counter()

    def start(self) -> None:
        synchronize(self.device)
        self._last = time.perf_counter()

    def mark(self, phase: str) -> None:
        synchronize(self.device)
        now = time.perf_counter()
        self.totals[phase] = self.totals.get(phase, 0.0) + now - self._last
        self._last = now


def grad_norm(net: nn.Module) -> torch.Tensor:
    """Total L2 norm of the gradients of ``net`` (a device scalar: no host sync).

    One fused ``_foreach_norm`` over every gradient (a few kernels on CUDA instead of one per
    parameter), then the norm of the per-tensor norms: the same value as before."""
    grads = [p.grad.detach() for p in net.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros((), device=next(net.parameters()).device)
    norms = torch._foreach_norm([g if g.dtype == torch.float32 else g.float() for g in grads])
    return torch.linalg.vector_norm(torch.stack(norms))


def nonfinite(loss: torch.Tensor, distributed: bool) -> torch.Tensor:
    """A device bool: the loss is NaN/Inf (on any rank: one NaN poisons the averaged grads)."""
    bad = ~torch.isfinite(loss)
    if distributed:
        flag = bad.float()
        torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        bad = flag > 0
    return bad


def optimizer_step(opt: torch.optim.Optimizer, bad: torch.Tensor) -> None:
    """Step ``opt`` unless ``bad``; fused optimizers skip on the device, without a sync."""
    if getattr(opt, "_step_supports_amp_scaling", False):
        opt.grad_scale = None  # the GradScaler protocol of fused optimizers
        opt.found_inf = bad.float()
        opt.step()
    elif not bool(bad):  # host sync: non-fused fallback only (adam() builds fused Adam)
        opt.step()


@dataclass(frozen=True)
class Phase:
    """One network's side of a step: ``name`` (``g``/``d``, the timer's prefix), the module
    backward runs through (the DDP wrapper under torchrun) and its optimizer.

    ``keep_grads``: zero the gradients in place instead of freeing them, so they keep their
    memory between CUDA graph replays (same values: backward adds into zeros)."""

    name: str
    net: nn.Module
    optimizer: torch.optim.Optimizer
    keep_grads: bool = False


@dataclass(frozen=True)
class PhaseResult:
    loss: torch.Tensor  # float32 device scalar (NaN when injected)
    terms: LossTerms
    grad_norm: torch.Tensor
    bad: torch.Tensor  # device bool: the update was skipped


def update(
    phase: Phase, loss: torch.Tensor, distributed: bool, mark: Mark
) -> tuple[torch.Tensor, torch.Tensor]:
    """The update routine of every phase: backward, gradient norm, non-finite check, step.

    Returns (gradient norm, skipped flag), both device scalars.
    """
    phase.optimizer.zero_grad(set_to_none=not phase.keep_grads)
    loss.backward()
    norm = grad_norm(phase.net)
    mark(f"{phase.name}_backward")
    bad = nonfinite(loss, distributed)
    optimizer_step(phase.optimizer, bad)
    mark(f"{phase.name}_optimizer")
    return norm, bad


@dataclass(frozen=True)
class StepInputs:
    """What both phases of a step see: the batch and how the losses are computed."""

    source: torch.Tensor  # model-space images (B, 1, H, W)
    target: torch.Tensor
    style: torch.Tensor  # (B,) style ids
    loss_cfg: LossConfig
    precision: str
    poison: torch.Tensor | None  # a NaN scalar multiplied into the losses (testing hook)
    autocast_cache: bool = True  # False under CUDA graph capture


def g_phase(
    phase: Phase, generator: nn.Module, d_net: nn.Module, inputs: StepInputs, **update_kw
) -> tuple[PhaseResult, torch.Tensor]:
    """One generator update; returns its result and the generated batch."""
    x = inputs
    radius = generator.cfg.g_distance_px  # a distance generator: its L1 compares distances
    with autocast(x.precision, x.source.device, x.autocast_cache):
        drawn = phase.net(x.source, x.style, return_encoding=True, return_distance=bool(radius))
        fake, source_encoding = drawn[:2]
        distance = (drawn[2], target_distance(x.target, radius)) if radius else None
        fake_encoding = generator.encode(fake)
        # D on the fake pair (+ its real-pair features when feature matching is on)
        fake_out, real_feats = discriminator_views(d_net, x.source, fake, x.target, x.loss_cfg)
        terms = generator_loss(
            fake_out,
            fake,
            x.target,
            x.style,
            fake_encoding,
            source_encoding,
            x.loss_cfg,
            real_feats,
            distance,
        )
    loss = _poisoned(terms.total.float(), x.poison)
    update_kw["mark"](f"{phase.name}_forward")
    norm, bad = update(phase, loss, **update_kw)
    return PhaseResult(loss, terms, norm, bad), fake


def d_phase(phase: Phase, fake: torch.Tensor, inputs: StepInputs, **update_kw) -> PhaseResult:
    """One discriminator update on the real pair and the (detached) generated one."""
    x = inputs
    fake = fake.detach()
    with autocast(x.precision, x.source.device, x.autocast_cache):
        real_out = phase.net(x.source, x.target)
        fake_out = phase.net(x.source, fake)
        terms = discriminator_loss(real_out, fake_out, x.style, x.loss_cfg)
    loss = _poisoned(terms.total.float(), x.poison)
    update_kw["mark"](f"{phase.name}_forward")
    norm, bad = update(phase, loss, **update_kw)
    return PhaseResult(loss, terms, norm, bad)


def _poisoned(loss: torch.Tensor, poison: torch.Tensor | None) -> torch.Tensor:
    return loss if poison is None else loss * poison


def run_phases(
    g: Phase,
    d: Phase,
    generator: nn.Module,
    inputs: StepInputs,
    *,
    g_steps: int,
    distributed: bool,
    mark: Mark,
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """``g_steps`` G phases, then one D phase; returns the step's device values (losses, loss
    terms, gradient norms) and whether any update was skipped. The caller updates the EMA."""
    kw = {"distributed": distributed, "mark": mark}
    bad_any = torch.zeros((), dtype=torch.bool, device=inputs.source.device)
    for _ in range(g_steps):
        g_result, fake = g_phase(g, generator, d.net, inputs, **kw)
        bad_any = bad_any | g_result.bad
    d_result = d_phase(d, fake, inputs, **kw)
    bad_any = bad_any | d_result.bad
    values = {
        "d_loss": d_result.loss.detach(),
        "g_loss": g_result.loss.detach(),
        # Of the last G update and the D update of the step; means over the tick are logged.
        "grad_norm_g": g_result.grad_norm,
        "grad_norm_d": d_result.grad_norm,
    }
    values.update({k: v.float() for k, v in d_result.terms.parts.items()})
    values.update({k: v.float() for k, v in g_result.terms.parts.items()})
    return values, bad_any
