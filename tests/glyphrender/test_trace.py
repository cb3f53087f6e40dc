"""The bitmap tracer: sub-pixel outlines, orientation and holes, specks, corners and curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fontTools.pens.recordingPen import RecordingPen
from glyphrender.assembly.trace import (
    Contour,
    TraceOptions,
    draw_contours,
    trace_bitmap,
    trace_polygons,
)
from glyphrender.rendering.transform import Transform
from PIL import Image


def _disk(px: int, cx: float, cy: float, r: float, supersample: int = 8) -> np.ndarray:
    """Anti-aliased disk coverage (area sampling by supersampling)."""
    s = supersample
    y, x = np.mgrid[0 : px * s, 0 : px * s]
    inside = ((x + 0.5) / s - cx) ** 2 + ((y + 0.5) / s - cy) ** 2 <= r * r
    return (inside.reshape(px, s, px, s).mean(axis=(1, 3)) * 255).round().astype(np.uint8)


def _points(contour: Contour) -> np.ndarray:
    return np.array([contour.start] + [s[-1] for s in contour.segments])


def test_blank_image_has_no_contours():
    assert trace_bitmap(np.zeros((32, 32), np.uint8)) == []


def test_disk_becomes_a_few_smooth_curves_at_the_right_radius():
    contours = trace_bitmap(_disk(64, 32.0, 30.0, 20.0))
    assert len(contours) == 1
    (disk,) = contours
    assert disk.area > 0  # outer contour: clockwise on screen
    curves = [s for s in disk.segments if len(s) == 3]
    assert len(curves) >= 2 and len(disk.segments) <= 8  # curves, not a pixel staircase
    # Points on the curves (sampled) lie on the circle.
    u = np.linspace(0, 1, 9)[:, None]
    start = disk.start
    for seg in disk.segments:
        if len(seg) == 3:
            p0, (p1, p2, p3) = start, seg
            pts = (
                (1 - u) ** 3 * p0 + 3 * (1 - u) ** 2 * u * p1 + 3 * (1 - u) * u**2 * p2 + u**3 * p3
            )
            r = np.hypot(pts[:, 0] - 32.0, pts[:, 1] - 30.0)
            assert np.abs(r - 20.0).max() < TraceOptions().tolerance
        start = seg[-1]


def test_ring_has_an_outer_contour_and_an_opposite_hole():
    ring = (_disk(64, 32, 32, 24).astype(int) - _disk(64, 32, 32, 12)).clip(0, 255).astype(np.uint8)
    contours = trace_bitmap(ring)
    assert len(contours) == 2
    outer, hole = contours  # outers come first
    assert outer.area == pytest.approx(np.pi * 24**2, rel=0.02)
    assert hole.area == pytest.approx(-np.pi * 12**2, rel=0.03)


def test_subpixel_edge_position_from_antialiasing():
    img = np.zeros((32, 32), np.uint8)
    img[4:28, 6:18] = 255
    img[4:28, 18] = round(0.3 * 255)  # the right edge lies at x = 18.3
    (rect,) = trace_bitmap(img)
    xs = _points(rect)[:, 0]
    assert xs.max() == pytest.approx(18.3, abs=0.1)
    assert xs.min() == pytest.approx(6.0, abs=0.1)


def test_square_corners_give_straight_lines():
    img = np.zeros((40, 40), np.uint8)
    img[8:30, 10:34] = 255
    (square,) = trace_bitmap(img)
    assert all(len(s) == 1 for s in square.segments)  # only lines
    assert len(square.segments) <= 8  # 4 sides (cut corners may add a short diagonal each)
    pts = _points(square)
    assert pts[:, 0].min() == pytest.approx(10, abs=0.6) and pts[:, 0].max() == pytest.approx(
        34, abs=0.6
    )


def test_specks_below_min_area_are_dropped():
    img = np.zeros((32, 32), np.uint8)
    img[5:25, 5:25] = 255
    img[28, 28] = 255  # a one-pixel speck
    img[15, 15] = 0  # a one-pixel pin-hole
    assert len(trace_bitmap(img, TraceOptions(min_area=4))) == 1
    assert len(trace_bitmap(img, TraceOptions(min_area=0))) == 3


def test_ink_touching_the_border_still_closes():
    img = np.full((16, 16), 255, np.uint8)
    (polygon,) = trace_polygons(img)
    assert abs(np.ptp(polygon[:, 0]) - 16) < 1.01


def test_threshold_moves_the_outline():
    img = _disk(48, 24, 24, 15)
    low = trace_bitmap(img, TraceOptions(threshold=0.2))[0].area
    high = trace_bitmap(img, TraceOptions(threshold=0.8))[0].area
    assert low > high


def test_draw_contours_maps_to_font_units():
    img = np.zeros((20, 20), np.uint8)
    img[5:15, 5:15] = 255
    transform = Transform(scale=0.02, x_offset=0.0, y_offset=20.0)
    pen = RecordingPen()
    draw_contours(trace_bitmap(img), pen, transform)
    pts = np.array([a[-1] for op, a in pen.value if op in ("moveTo", "lineTo", "curveTo")])
    assert pts[:, 0].min() == pytest.approx(250, abs=30)  # x = 5 px -> 250 units
    assert pts[:, 1].max() == pytest.approx(750, abs=30)  # y = 5 px -> (20 - 5) / 0.02
    assert pen.value[-1][0] == "closePath"


def test_options_are_validated():
    with pytest.raises(ValueError, match="threshold"):
        TraceOptions(threshold=1.0)
    with pytest.raises(ValueError, match="tolerance"):
        TraceOptions(tolerance=0)


def test_a_noisy_generated_glyph_keeps_every_control_point_near_the_bitmap():
    """A tiny model's blotchy 64 px glyph once gave a cubic handle 9,000 px away (a
    near-singular least-squares fit), which broke `glyphrender assemble` with a struct error."""
    png = Path(__file__).parent / "data" / "noisy-glyph-64.png"  # coverage: 255 = ink
    coverage = np.asarray(Image.open(png))
    contours = trace_bitmap(coverage)
    assert contours
    points = np.concatenate([np.concatenate(c.segments) for c in contours])
    assert points.min() >= -2 and points.max() <= coverage.shape[0] + 2
