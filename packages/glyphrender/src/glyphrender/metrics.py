"""Ink IoU of glyph bitmaps: the one numpy definition (assembly's re-render check, the review's
disagreement with the source, the scripts' measurements).

Bitmaps are uint8 ink coverage (0 paper, 255 full ink). A pixel is ink at half coverage or more
(``>= INK_LEVEL``, i.e. coverage / 255 >= 0.5), and the ink IoU of two images is
|A and B| / |A or B|; two images with no ink at all agree, so their IoU is 1.
``zi2zi_core.evaluation.metrics.ink_iou`` is the same definition in torch, on coverage in [0, 1]
(a test checks that the two agree).
"""

from __future__ import annotations

import numpy as np

INK_LEVEL = 128  # uint8 coverage that counts as ink: half (128 / 255 >= 0.5 > 127 / 255)


def ink_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image ink IoU of two stacks of uint8 coverage images, (N, H, W) or (N, 1, H, W):
    one float64 per image, 1 where both images are blank."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"ink IoU needs images of one shape, got {a.shape} and {b.shape}")
    for images in (a, b):
        if not np.issubdtype(images.dtype, np.integer):
            raise ValueError(f"ink IoU takes uint8 coverage (0-255), got {images.dtype} images")
    ink_a, ink_b = a >= INK_LEVEL, b >= INK_LEVEL
    per_image = tuple(range(1, a.ndim))  # every axis but the first (works for an empty stack)
    inter = (ink_a & ink_b).sum(axis=per_image)
    union = (ink_a | ink_b).sum(axis=per_image)
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)
