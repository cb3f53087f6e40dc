"""The learning-rate schedule: a multiplier of the base rate at each step."""

from __future__ import annotations

import math

from zi2zi_core.errors import ConfigError


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
