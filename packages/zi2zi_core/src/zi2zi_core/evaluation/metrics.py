"""Per-glyph image metrics: L1, RMSE, SSIM and ink IoU, on ink coverage in [0, 1].

All functions take two tensors of the same shape, (N, H, W) or (N, 1, H, W), holding ink
coverage in [0, 1] (0 paper, 1 full ink; ``zi2zi_core.models.imaging.to_unit`` gives this from model
output), and return one value per glyph, shape (N,). They compute in float64 so that the numbers
in ``metrics.json`` do not depend on the device or batch size beyond rounding (float32 on Apple
MPS, which lacks float64).

SSIM is the one pinned implementation of this project (Wang et al. 2004): Gaussian window of 11
taps with sigma 1.5 (normalised to sum 1), K1 = 0.01, K2 = 0.03, data range 1, population
(biased) local variances, and *valid* filtering: the SSIM map is computed only where the window
lies wholly inside the image ((H-10) x (W-10) positions) and averaged. This equals
``skimage.metrics.structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1)``, which filters with padding and then crops the
padded border before averaging.

Ink IoU binarises both images at half coverage (ink where coverage >= 0.5) and returns
|A and B| / |A or B|; when both images have no ink the IoU is 1 by definition (they agree).
It is the same definition as ``glyphrender.metrics.ink_iou`` (numpy, on uint8 coverage, used
by assemble's re-render check and the review page), batched here in torch;
``tests/zi2zi_core/test_metrics.py`` checks that the two agree.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
SSIM_DATA_RANGE = 1.0
INK_THRESHOLD = 0.5


def _as_pair(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Check shapes and return both as (N, 1, H, W) float64."""
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}"
        )
    if pred.ndim == 3:
        pred, target = pred.unsqueeze(1), target.unsqueeze(1)
    if pred.ndim != 4 or pred.shape[1] != 1:
        raise ValueError(f"expected (N, H, W) or (N, 1, H, W) images, got {tuple(pred.shape)}")
    # float64 keeps E[x^2] - E[x]^2 in SSIM exact enough; MPS has no float64, so it gets float32.
    dtype = torch.float32 if pred.device.type == "mps" else torch.float64
    return pred.to(dtype), target.to(dtype)


def l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference per glyph."""
    p, t = _as_pair(pred, target)
    return (p - t).abs().flatten(1).mean(1)


def rmse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Root mean squared difference per glyph."""
    p, t = _as_pair(pred, target)
    return (p - t).square().flatten(1).mean(1).sqrt()


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """A 1-D Gaussian of ``size`` taps centred on the middle one, normalised to sum 1 (float64)."""
    centre = (size - 1) / 2
    taps = torch.tensor(
        [math.exp(-((i - centre) ** 2) / (2 * sigma**2)) for i in range(size)], dtype=torch.float64
    )
    return taps / taps.sum()


def ssim_map(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The SSIM map over valid window positions, (N, 1, H-10, W-10)."""
    p, t = _as_pair(pred, target)
    if p.shape[-1] < SSIM_WINDOW or p.shape[-2] < SSIM_WINDOW:
        raise ValueError(
            f"SSIM needs images of at least {SSIM_WINDOW} px, got {tuple(p.shape[-2:])}"
        )
    taps = gaussian_window().to(device=p.device, dtype=p.dtype)
    # The 2-D Gaussian is separable: filter rows then columns, five quantities at once.
    stack = torch.cat([p, t, p * p, t * t, p * t], dim=1)
    k_row = taps.view(1, 1, 1, -1).repeat(5, 1, 1, 1)
    k_col = taps.view(1, 1, -1, 1).repeat(5, 1, 1, 1)
    filtered = F.conv2d(F.conv2d(stack, k_row, groups=5), k_col, groups=5)
    mu_p, mu_t, e_pp, e_tt, e_pt = filtered.split(1, dim=1)
    var_p = e_pp - mu_p * mu_p
    var_t = e_tt - mu_t * mu_t
    cov = e_pt - mu_p * mu_t
    c1 = (SSIM_K1 * SSIM_DATA_RANGE) ** 2
    c2 = (SSIM_K2 * SSIM_DATA_RANGE) ** 2
    numerator = (2 * mu_p * mu_t + c1) * (2 * cov + c2)
    denominator = (mu_p * mu_p + mu_t * mu_t + c1) * (var_p + var_t + c2)
    return numerator / denominator


def ssim(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean SSIM per glyph (see the module docstring for the pinned definition)."""
    return ssim_map(pred, target).flatten(1).mean(1)


def ink_iou(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Intersection over union of the inked pixels (coverage >= 0.5); 1 when both are blank."""
    p, t = _as_pair(pred, target)
    ink_p = (p >= INK_THRESHOLD).flatten(1)
    ink_t = (t >= INK_THRESHOLD).flatten(1)
    inter = (ink_p & ink_t).sum(1).to(p.dtype)
    union = (ink_p | ink_t).sum(1).to(p.dtype)
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def glyph_metrics(pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every metric of ``metric_names.GLYPH_METRICS`` per glyph, as (N,) float64 tensors on the input's device."""
    return {
        "l1": l1(pred, target),
        "rmse": rmse(pred, target),
        "ssim": ssim(pred, target),
        "ink_iou": ink_iou(pred, target),
    }
