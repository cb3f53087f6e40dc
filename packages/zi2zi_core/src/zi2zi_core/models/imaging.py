"""The one mapping between stored uint8 ink coverage and the model's float range.

Shards hold uint8 ink coverage (0 = paper, 255 = full ink). The networks see floats in
[-1, 1] with paper = -1 and ink = +1. Metrics and image files use other views of the same
values; every conversion goes through this module so the scaling is defined once.
"""

from __future__ import annotations

import torch


def to_model(coverage: torch.Tensor) -> torch.Tensor:
    """uint8 coverage (any shape) -> float32 in [-1, 1]: x = u8 / 127.5 - 1."""
    if not isinstance(coverage, torch.Tensor) or coverage.dtype != torch.uint8:
        what = getattr(coverage, "dtype", type(coverage).__name__)
        raise TypeError(
            f"to_model expects a uint8 torch tensor, got {type(coverage).__name__} {what}"
        )
    return coverage.to(torch.float32).div_(127.5).sub_(1.0)


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """Model floats in [-1, 1] -> float32 in [0, 1] (0 = paper, 1 = ink); values are clamped."""
    return x.float().add(1.0).mul_(0.5).clamp_(0.0, 1.0)


def unit_from_coverage(coverage: torch.Tensor) -> torch.Tensor:
    """uint8 coverage -> float32 in [0, 1], the same values as ``to_unit(to_model(u8))``."""
    return to_unit(to_model(coverage))


def from_model(x: torch.Tensor) -> torch.Tensor:
    """Model floats in [-1, 1] -> uint8 coverage, rounded to the nearest level and clamped."""
    return (x.float().add(1.0).mul_(127.5)).round_().clamp_(0, 255).to(torch.uint8)
