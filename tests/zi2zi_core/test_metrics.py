"""The glyph metrics against cases computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from zi2zi_core.evaluation import metrics
from zi2zi_core.evaluation.metric_names import (
    GLYPH_METRICS,
    VAL_LABELS,
    VAL_METRICS,
    advantage,
    is_better,
)

C1 = (0.01 * 1.0) ** 2
C2 = (0.03 * 1.0) ** 2


def _stroke(col0: int, width: int = 4, px: int = 32) -> torch.Tensor:
    img = torch.zeros(1, px, px, dtype=torch.float64)
    img[:, :, col0 : col0 + width] = 1.0
    return img


def test_identical_images_are_perfect():
    img = torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0))
    m = metrics.glyph_metrics(img, img.clone())
    assert torch.allclose(m["l1"], torch.zeros(3, dtype=torch.float64))
    assert torch.allclose(m["rmse"], torch.zeros(3, dtype=torch.float64))
    assert torch.allclose(m["ssim"], torch.ones(3, dtype=torch.float64), atol=1e-12)
    assert torch.equal(m["ink_iou"], torch.ones(3, dtype=torch.float64))


def test_every_metric_direction_ranks_a_copy_above_a_wrong_glyph():
    """The one direction table: a perfect glyph beats a shifted stroke on every glyph metric,
    and each val metric (what best.pt and the sweep compare) follows its glyph metric."""
    target = _stroke(10)
    perfect = metrics.glyph_metrics(target.clone(), target)
    wrong = metrics.glyph_metrics(_stroke(12), target)
    assert tuple(perfect) == GLYPH_METRICS
    for name in GLYPH_METRICS:
        assert is_better(name, perfect[name].item(), wrong[name].item()), name
        assert not is_better(name, wrong[name].item(), perfect[name].item()), name
        assert advantage(name, perfect[name].item(), wrong[name].item()) > 0, name
    for val_name, glyph_name in VAL_METRICS.items():
        assert glyph_name in GLYPH_METRICS and val_name in VAL_LABELS
        p, w = perfect[glyph_name].item(), wrong[glyph_name].item()
        assert is_better(val_name, p, w) and advantage(val_name, p, w) > 0
    assert is_better("val_l1", 0.5, None)  # the first validation is always the best so far
    assert not is_better("val_l1", 0.5, 0.5)  # a tie keeps the earlier best


def test_blank_against_full_ink():
    blank = torch.zeros(1, 32, 32)
    ink = torch.ones(1, 32, 32)
    m = metrics.glyph_metrics(blank, ink)
    assert m["l1"].item() == 1.0
    assert m["rmse"].item() == 1.0
    assert m["ink_iou"].item() == 0.0
    # constants 0 and 1: means 0 and 1, no variance -> (C1 / (1 + C1)) * (C2 / C2)
    assert m["ssim"].item() == pytest.approx(C1 / (1 + C1), rel=1e-9)


def test_blank_against_a_stroke():
    stroke = _stroke(10)  # 4 of 32 columns inked
    m = metrics.glyph_metrics(torch.zeros_like(stroke), stroke)
    assert m["l1"].item() == pytest.approx(4 / 32)
    assert m["rmse"].item() == pytest.approx(math.sqrt(4 / 32))
    assert m["ink_iou"].item() == 0.0


def test_shifted_stroke_by_hand():
    # columns 10-13 against 12-15: 4 columns differ (10, 11, 14, 15), 2 shared, 6 in the union.
    a, b = _stroke(10), _stroke(12)
    m = metrics.glyph_metrics(a, b)
    assert m["l1"].item() == pytest.approx(4 * 32 / 1024)
    assert m["rmse"].item() == pytest.approx(math.sqrt(4 * 32 / 1024))
    assert m["ink_iou"].item() == pytest.approx(2 / 6)
    assert 0 < m["ssim"].item() < 1


@pytest.mark.parametrize(("a", "b"), [(0.2, 0.6), (0.0, 0.0), (0.5, 0.5), (1.0, 0.3)])
def test_ssim_of_constants(a: float, b: float):
    x = torch.full((1, 16, 16), a)
    y = torch.full((1, 16, 16), b)
    expected = (2 * a * b + C1) / (a * a + b * b + C1)
    assert metrics.ssim(x, y).item() == pytest.approx(expected, rel=1e-6)


def _ssim_by_hand(x: np.ndarray, y: np.ndarray) -> float:
    """Direct window-by-window SSIM with an explicit 2-D Gaussian, valid positions only."""
    r = np.arange(11) - 5
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5**2))
    g /= g.sum()
    values = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            wx, wy = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
            mx, my = (g * wx).sum(), (g * wy).sum()
            vx = (g * (wx - mx) ** 2).sum()
            vy = (g * (wy - my) ** 2).sum()
            cxy = (g * (wx - mx) * (wy - my)).sum()
            values.append(
                ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx**2 + my**2 + C1) * (vx + vy + C2))
            )
    return float(np.mean(values))


def test_ssim_matches_a_direct_window_computation():
    rng = np.random.default_rng(1)
    x = rng.random((14, 13))
    y = np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1)
    got = metrics.ssim(torch.from_numpy(x)[None], torch.from_numpy(y)[None]).item()
    assert got == pytest.approx(_ssim_by_hand(x, y), abs=1e-10)
    assert metrics.ssim_map(torch.from_numpy(x)[None], torch.from_numpy(y)[None]).shape == (
        1,
        1,
        4,
        3,
    )


def test_ssim_matches_scikit_image():
    skm = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(2)
    x = (rng.random((32, 32)) > 0.6).astype(np.float64)
    y = np.clip(x + rng.normal(0, 0.3, x.shape), 0, 1)
    expected = skm.structural_similarity(
        x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0
    )
    got = metrics.ssim(torch.from_numpy(x)[None], torch.from_numpy(y)[None]).item()
    assert got == pytest.approx(expected, abs=1e-7)


def test_ink_iou_threshold_and_blank_pairs():
    both_blank = metrics.ink_iou(torch.zeros(1, 8, 8), torch.full((1, 8, 8), 0.49))
    assert both_blank.item() == 1.0  # nothing reaches half coverage in either: agreement
    half = torch.full((1, 8, 8), 0.5)
    assert metrics.ink_iou(half, torch.ones(1, 8, 8)).item() == 1.0  # 0.5 counts as ink
    assert metrics.ink_iou(half, torch.zeros(1, 8, 8)).item() == 0.0


def test_ink_iou_agrees_with_glyphrender_on_random_images():
    """glyphrender.metrics.ink_iou (numpy, uint8) and this torch ink_iou are one definition."""
    from glyphrender.metrics import ink_iou as glyphrender_ink_iou
    from zi2zi_core.models.imaging import unit_from_coverage

    rng = np.random.default_rng(0)
    # Values crowd around the threshold (127 vs 128) and some pairs are blank or sparse.
    a = rng.choice([0, 60, 127, 128, 200, 255], size=(64, 16, 16)).astype(np.uint8)
    b = rng.choice([0, 127, 128, 255], size=(64, 16, 16)).astype(np.uint8)
    a[:4] = rng.integers(0, 128, size=(4, 16, 16))  # no ink at all
    b[:2] = rng.integers(0, 128, size=(2, 16, 16))  # both blank: IoU 1
    b[60:] = np.where(rng.random((4, 16, 16)) < 0.02, 255, 0)  # a few ink pixels
    expected = glyphrender_ink_iou(a, b)
    got = metrics.ink_iou(
        unit_from_coverage(torch.from_numpy(a)), unit_from_coverage(torch.from_numpy(b))
    )
    assert expected[:4].tolist() == [1.0, 1.0, 0.0, 0.0]  # blank pairs, ink against none
    assert expected[4:60].min() > 0 and expected[4:].max() < 1
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-12)


def test_values_are_per_glyph_and_layout_independent():
    a = torch.cat([_stroke(10), _stroke(10), torch.zeros(1, 32, 32, dtype=torch.float64)])
    b = torch.cat([_stroke(10), _stroke(12), _stroke(3)])
    flat = metrics.glyph_metrics(a, b)
    channel = metrics.glyph_metrics(a.unsqueeze(1), b.unsqueeze(1))
    for name in GLYPH_METRICS:
        assert flat[name].shape == (3,)
        assert torch.equal(flat[name], channel[name])
        single = metrics.glyph_metrics(a[1:2], b[1:2])[name]
        assert flat[name][1].item() == pytest.approx(single.item(), abs=1e-12)
    assert flat["l1"].tolist() == pytest.approx([0.0, 0.125, 0.125])


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.l1(torch.zeros(1, 8, 8), torch.zeros(1, 8, 9))
    with pytest.raises(ValueError, match="at least 11"):
        metrics.ssim(torch.zeros(1, 8, 8), torch.zeros(1, 8, 8))
