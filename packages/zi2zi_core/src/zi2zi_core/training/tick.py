"""Tick statistics: per-step values summed on the device, read back once per tick.

A tick is ``log_every`` steps. Skipped (non-finite) steps count separately and do not enter
the means; the longest run of consecutive skipped steps decides a rollback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from zi2zi_core.training import distributed as dist_utils
from zi2zi_core.training.distributed import DistInfo


@dataclass(frozen=True)
class TickSummary:
    """One tick, read back to the host."""

    losses: dict[str, float]  # means over the tick's good steps (NaN when there were none)
    steps: int
    skipped: int
    max_streak: float  # longest run of skipped steps in a row (across ticks)
    lr: float
    steps_per_s: float


class TickStats:
    """Accumulates a tick's step values without host syncs."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._streak = torch.zeros((), device=device)  # carries over between ticks
        self.reset(lr=0.0)

    def reset(self, lr: float) -> None:
        self._names: list[str] | None = None
        self._sums: torch.Tensor | None = None
        self._good = torch.zeros((), device=self.device)
        self._skipped = torch.zeros((), device=self.device)
        self._max_streak = torch.zeros((), device=self.device)
        self._steps = 0
        self._start = time.perf_counter()
        self._lr = lr

    def clear_streak(self) -> None:
        """Forget skipped steps in a row (after a rollback to a checkpoint)."""
        self._streak = torch.zeros((), device=self.device)

    def add(self, values: dict[str, torch.Tensor], bad: torch.Tensor, lr: float) -> None:
        """One step's device scalars; ``bad`` (device bool) marks a skipped update."""
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
        self._steps += 1
        self._lr = lr

    def read(self, info: DistInfo) -> TickSummary:
        """The tick's numbers (one device sync; averaged across ranks under torchrun)."""
        names = self._names or []
        packed = torch.cat(
            [
                self._sums if self._sums is not None else torch.zeros(0, device=self.device),
                torch.stack([self._good, self._skipped, self._max_streak]),
            ]
        )
        packed = dist_utils.mean_across(packed, info) if info.enabled else packed
        *sums, good, skipped, max_streak = packed.tolist()
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        losses = {
            k: (s / good if good > 0 else float("nan")) for k, s in zip(names, sums, strict=True)
        }
        return TickSummary(
            losses, self._steps, round(skipped), max_streak, self._lr, self._steps / elapsed
        )
