"""Sample grids: fixed val characters drawn as source | generated | target triplets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from glyphrender.atomic import save_png_atomic
from PIL import Image

GAP = 2  # paper-coloured pixels between cells
TRIPLETS_PER_ROW = 4


def grid_image(source: torch.Tensor, generated: torch.Tensor, target: torch.Tensor) -> np.ndarray:
    """uint8 coverage (N, H, W) x 3 -> a greyscale image, black ink on white, with rows of
    ``TRIPLETS_PER_ROW`` (source | generated | target) triplets and a wider gap between them."""
    n, h, w = source.shape
    cols = min(TRIPLETS_PER_ROW, max(n, 1))
    rows = max(1, -(-n // cols))
    cell_w = 3 * w + 2 * GAP
    out = np.full((rows * (h + GAP) + GAP, cols * (cell_w + 3 * GAP) + GAP), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        y = GAP + r * (h + GAP)
        x = GAP + c * (cell_w + 3 * GAP)
        for j, images in enumerate((source, generated, target)):
            xx = x + j * (w + GAP)
            out[y : y + h, xx : xx + w] = 255 - images[i].cpu().numpy()
    return out


def save_grid(
    path: Path, source: torch.Tensor, generated: torch.Tensor, target: torch.Tensor
) -> Path:
    """Write the grid PNG through a temporary name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_png_atomic(Image.fromarray(grid_image(source, generated, target), mode="L"), path)
    return path
