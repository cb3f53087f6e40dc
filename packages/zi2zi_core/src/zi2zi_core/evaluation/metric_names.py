"""The glyph metrics' names, labels and which way is better: the one definition that
``zi2zi eval``, validation during training (and the choice of ``best.pt``), the sweep report
and the sweep study share.

Plain data, no torch: the CLI lists these names in ``--help`` without importing torch.
"""

from __future__ import annotations

# zi2zi eval's per-glyph metrics, in the column order of metrics.json and per_glyph.csv
# (computed by zi2zi_core.evaluation.metrics.glyph_metrics).
GLYPH_METRICS: tuple[str, ...] = ("l1", "rmse", "ssim", "ink_iou")
HIGHER_IS_BETTER: dict[str, bool] = {"l1": False, "rmse": False, "ssim": True, "ink_iou": True}

# What validation during training logs (metrics.jsonl keys, in this order), each the val-split
# mean of a glyph metric; iterating gives the names.
VAL_METRICS: dict[str, str] = {"val_l1": "l1", "val_ssim": "ssim", "val_iou": "ink_iou"}
VAL_LABELS: dict[str, str] = {"val_l1": "val L1", "val_ssim": "SSIM", "val_iou": "ink IoU"}


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` (a glyph or a val metric name) is better."""
    return HIGHER_IS_BETTER[VAL_METRICS.get(metric, metric)]


def advantage(metric: str, value: float, other: float) -> float:
    """By how much ``value`` beats ``other`` on ``metric`` (negative: it is worse)."""
    return value - other if higher_is_better(metric) else other - value


def is_better(metric: str, value: float, best: float | None) -> bool:
    """Whether ``value`` of ``metric`` beats ``best`` (None: nothing yet)."""
    if best is None:
        return True
    return value > best if higher_is_better(metric) else value < best
