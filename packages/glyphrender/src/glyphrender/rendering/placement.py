"""Where glyphs land on the canvas: the font-unit -> pixel transform of a font.

Font placement (the default) gives every glyph of a font the same transform: the font's em
box is fitted into the canvas minus a margin on each side, so relative size and position
between glyphs are kept (一 stays thin, 口 stays small). The em box is ``units_per_em`` wide
starting at x = 0 and ``units_per_em`` tall, its vertical position taken from the font's
metrics (:func:`em_box`).

Centre placement keeps the same scale but moves each glyph so that its ink bounding box is
centred on the canvas (:func:`centred`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from glyphrender.rendering.transform import Transform

DEFAULT_MARGIN = 0.05  # fraction of the canvas left empty on each side of the em box
# OS/2 typo metrics are trusted when their span is within this fraction of the em.
TYPO_SPAN_TOLERANCE = 0.02


class Placement(str, enum.Enum):
    FONT = "font"
    CENTER = "center"


class VerticalMetrics(Protocol):
    """What placement needs from a font (``glyphrender.fonts.loading.LoadedFont`` provides it)."""

    units_per_em: int
    typo_ascender: int | None
    typo_descender: int | None
    ascender: int
    descender: int


@dataclass(frozen=True)
class EmBox:
    """The em square in font units: x in [0, units_per_em], y in [bottom, top]."""

    units_per_em: int
    top: float
    bottom: float
    source: str  # "typo" or "hhea": which metrics placed it, recorded in the manifest

    def __post_init__(self) -> None:
        if self.units_per_em <= 0:
            raise ValueError(f"units_per_em must be positive, got {self.units_per_em}")


def em_box(font: VerticalMetrics) -> EmBox:
    """The font's em box: OS/2 typo ascender/descender when they span the em, else hhea scaled.

    Many CJK fonts set typo ascender - descender == units_per_em (the ideographic em box);
    fonts whose typo metrics do not span the em (or have none) get their hhea ascender and
    descender scaled so their span is exactly one em, keeping the baseline's relative position.
    """
    upm = int(font.units_per_em)
    asc, desc = font.typo_ascender, font.typo_descender
    if asc is not None and desc is not None:
        span = asc - desc
        if abs(span - upm) <= TYPO_SPAN_TOLERANCE * upm:
            # Centre the em on the typo box so a span off by a unit or two stays symmetric.
            mid = (asc + desc) / 2
            return EmBox(upm, mid + upm / 2, mid - upm / 2, "typo")
    asc, desc = font.ascender, font.descender
    span = asc - desc
    if span <= 0:
        asc, desc, span = upm * 0.88, -upm * 0.12, upm  # no usable metrics: a common default
    return EmBox(upm, asc * upm / span, desc * upm / span, "hhea")


def font_transform(box: EmBox, glyph_px: int, margin: float = DEFAULT_MARGIN) -> Transform:
    """Map the em box onto the canvas, leaving ``margin * glyph_px`` pixels on every side."""
    if not 0 <= margin < 0.5:
        raise ValueError(f"margin must be in [0, 0.5), got {margin}")
    inner = glyph_px * (1 - 2 * margin)
    scale = inner / box.units_per_em
    x_offset = glyph_px * margin  # font x = 0 is the em box's left edge
    y_offset = glyph_px * margin + box.top * scale  # the em top lands on the top margin
    return Transform(scale=scale, x_offset=x_offset, y_offset=y_offset)


def centred(
    base: Transform, glyph_px: int, ink_bbox: tuple[float, float, float, float] | None
) -> Transform:
    """``base``'s scale with offsets that centre the ink bbox (xmin, ymin, xmax, ymax, font
    units) on the canvas; an empty glyph (no bbox) keeps ``base``."""
    if ink_bbox is None:
        return base
    xmin, ymin, xmax, ymax = ink_bbox
    s = base.scale
    return Transform(
        scale=s,
        x_offset=glyph_px / 2 - (xmin + xmax) / 2 * s,
        y_offset=glyph_px / 2 + (ymin + ymax) / 2 * s,
    )
