"""An exponential moving average of the generator's weights: what gets evaluated and exported.

The average runs over parameters only. Buffers (batch-norm running statistics, spectral-norm
power-iteration vectors ``_u``/``_v``) are copied from the live network: they are estimates
tied to the current weights, not quantities to average. With spectral norm as a
parametrization, the unnormalized ``...parametrizations.weight.original`` is a parameter, so
it is averaged and the EMA network normalizes it itself.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Holds ``module`` (a deep copy of the generator, eval mode, no grads) and updates it."""

    def __init__(self, network: nn.Module, decay: float) -> None:
        self.decay = decay
        self.module = copy.deepcopy(network).eval().requires_grad_(False)

    def decay_at(self, step: int) -> float:
        """The decay warms up as (1 + step) / (10 + step) so early weights do not dominate."""
        return min(self.decay, (1.0 + step) / (10.0 + step))

    @torch.no_grad()
    def update(self, network: nn.Module, step: int) -> None:
        """Two fused (foreach) launches: lerp the parameters, copy the buffers; no host sync."""
        weight = 1.0 - self.decay_at(step)
        ema_params = list(self.module.parameters())
        live_params = [p.detach() for p in network.parameters()]
        torch._foreach_lerp_(ema_params, live_params, weight)
        ema_bufs, live_bufs = list(self.module.buffers()), list(network.buffers())
        if len(ema_bufs) != len(live_bufs):
            raise ValueError(f"EMA has {len(ema_bufs)} buffers, the network {len(live_bufs)}")
        if ema_bufs:  # one foreach copy instead of one kernel per buffer
            torch._foreach_copy_(ema_bufs, live_bufs)

    def state_dict(self) -> dict:
        return self.module.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state)
