"""glyphrender.metrics.ink_iou: half coverage is ink, blank pairs agree, one value per image."""

from __future__ import annotations

import numpy as np
import pytest
from glyphrender.metrics import INK_LEVEL, ink_iou


def test_half_coverage_is_ink_and_blank_pairs_agree():
    a = np.zeros((4, 8, 8), np.uint8)
    b = np.zeros((4, 8, 8), np.uint8)
    a[0, :4], b[0, :4] = 255, INK_LEVEL  # same ink at different greys
    a[1, :4], b[1, 4:] = 255, 255  # disjoint
    a[2, :4], b[2, :2] = INK_LEVEL, 255  # half of the union shared
    a[3], b[3] = INK_LEVEL - 1, 0  # nothing reaches half coverage: agreement
    assert ink_iou(a, b).tolist() == [1.0, 0.0, 0.5, 1.0]


def test_channel_axis_and_empty_stacks():
    a = np.full((2, 1, 4, 4), 255, np.uint8)
    b = a.copy()
    b[1, 0, :2] = 0
    assert ink_iou(a, b).tolist() == [1.0, 0.5]
    assert ink_iou(a[:0], b[:0]).shape == (0,)


def test_float_images_and_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="uint8 coverage"):
        ink_iou(np.ones((1, 4, 4)), np.ones((1, 4, 4)))  # [0, 1] floats would count no ink
    with pytest.raises(ValueError, match="one shape"):
        ink_iou(np.zeros((1, 4, 4), np.uint8), np.zeros((1, 4, 5), np.uint8))
