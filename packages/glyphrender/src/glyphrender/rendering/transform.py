"""The pixel <-> font-unit transform recorded for every font of a dataset.

Pixel space: origin at the canvas' top-left corner, x to the right, y down; pixel (row i,
column j) covers [j, j+1) x [i, i+1). Font space: font units, y up. One uniform scale:

    x_px = x_fu * scale + x_offset
    y_px = y_offset - y_fu * scale

Training images, generated images and the assembler all use this one definition.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Transform:
    scale: float  # pixels per font unit
    x_offset: float  # pixel x of font x = 0
    y_offset: float  # pixel y of font y = 0 (the baseline)

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"transform scale must be positive, got {self.scale}")

    def to_font_units(self, points_px: np.ndarray) -> np.ndarray:
        """(N, 2) pixel points to (N, 2) font-unit points."""
        pts = np.asarray(points_px, dtype=np.float64)
        return np.stack(
            [(pts[:, 0] - self.x_offset) / self.scale, (self.y_offset - pts[:, 1]) / self.scale],
            axis=1,
        )

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transform:
        return cls(
            scale=float(data["scale"]),
            x_offset=float(data["x_offset"]),
            y_offset=float(data["y_offset"]),
        )
