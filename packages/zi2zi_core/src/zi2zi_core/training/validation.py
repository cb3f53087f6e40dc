"""Validation during training: the EMA generator scored on the val split, and sample grids."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from zi2zi_core.device import autocast
from zi2zi_core.evaluation.metric_names import VAL_METRICS
from zi2zi_core.evaluation.metrics import ink_iou, l1, ssim
from zi2zi_core.models.imaging import from_model, to_model, unit_from_coverage
from zi2zi_core.training.data import ValSet
from zi2zi_core.training.samples import grid_image, save_grid

# The glyph metric each val metric averages (only these are computed during training).
SCORERS = {"l1": l1, "ssim": ssim, "ink_iou": ink_iou}


class Validator:
    """Scores a generator on the val set (``baseline`` = copying the source, computed once)."""

    def __init__(self, val: ValSet, device: torch.device, precision: str, batch_size: int):
        self.val = val
        self.device = device
        self.precision = precision
        self.batch_size = batch_size
        self.baseline: dict[str, float] | None = None

    @torch.no_grad()
    def generate(self, net: nn.Module, source_u8: torch.Tensor, style: torch.Tensor):
        """uint8 (B, H, W) sources -> uint8 generated glyphs."""
        with autocast(self.precision, self.device):
            fake = net(to_model(source_u8).unsqueeze(1), style)
        return from_model(fake.float()).squeeze(1)

    @torch.no_grad()
    def _score(self, pred_u8: torch.Tensor, target_u8: torch.Tensor) -> torch.Tensor:
        pred, target = unit_from_coverage(pred_u8), unit_from_coverage(target_u8)
        return torch.stack([SCORERS[VAL_METRICS[m]](pred, target).sum() for m in VAL_METRICS])

    def scores(self, net: nn.Module) -> dict[str, float]:
        """Val L1 / SSIM / ink IoU of ``net`` (the baseline too, on the first call)."""
        model = torch.zeros(len(VAL_METRICS), dtype=torch.float64, device=self.device)
        base = torch.zeros(len(VAL_METRICS), dtype=torch.float64, device=self.device)
        need_baseline = self.baseline is None
        for batch in self.val.batches(self.batch_size, self.device):
            model += self._score(self.generate(net, batch.source, batch.style), batch.target)
            if need_baseline:
                base += self._score(batch.source, batch.target)
        n = len(self.val)
        if need_baseline:
            self.baseline = dict(zip(VAL_METRICS, (base / n).tolist(), strict=True))
        return dict(zip(VAL_METRICS, (model / n).tolist(), strict=True))

    def sample_grid(self, net: nn.Module, count: int, path: Path):
        """Save ``count`` fixed val glyphs as a grid at ``path``; returns the grid (or None)."""
        n = min(count, len(self.val))
        if n == 0:
            return None
        keep = torch.linspace(0, len(self.val) - 1, n).round().long()
        source = self.val.source[keep].to(self.device)
        target = self.val.target[keep]
        generated = self.generate(net, source, self.val.style[keep].to(self.device)).cpu()
        save_grid(path, source.cpu(), generated, target)
        return grid_image(source.cpu(), generated, target)
