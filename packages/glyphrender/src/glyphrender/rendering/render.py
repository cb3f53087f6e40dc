"""The renderer: one FreeType face, glyph outlines placed by a :class:`Transform`, rasterised
anti-aliased into a square canvas of ink coverage (0 paper, 255 full ink).

The face is set to one pixel per font unit (so outlines come out of FreeType unhinted, in
font units with 1/64 precision), then each outline is scaled and translated by the glyph's
:class:`~glyphrender.rendering.transform.Transform` (26.6 fixed point, i.e. 1/64 px) and rasterised
straight into the canvas with ``FT_Outline_Get_Bitmap``. The glyph therefore lands exactly
where the transform says, whatever the font's hinting flags.

Ink that falls outside the canvas is never dropped silently: :meth:`GlyphRenderer.render_into`
returns how many pixels of ink fell off, and the build reports those glyphs.

``glyphrender build`` and :func:`~glyphrender.dataset.rerender.render_for_dataset` (used by
``zi2zi generate``) both render through :class:`GlyphRenderer` (several of them averaged by
:class:`~glyphrender.rendering.blend.BlendRenderer` for a blended source), so they match pixel
for pixel.
"""

from __future__ import annotations

import ctypes
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glyphrender.errors import FontError
from glyphrender.rendering.placement import DEFAULT_MARGIN, Placement, centred
from glyphrender.rendering.transform import Transform

DEFAULT_GLYPH_PX = 256


@dataclass(frozen=True)
class RenderOptions:
    """How glyphs are drawn; recorded in the manifest as ``render``."""

    glyph_px: int = DEFAULT_GLYPH_PX
    placement: Placement = Placement.FONT
    margin: float = DEFAULT_MARGIN

    def __post_init__(self) -> None:
        if not 8 <= self.glyph_px <= 4096:
            raise ValueError(f"glyph size must be between 8 and 4096 px, got {self.glyph_px}")
        if not 0 <= self.margin < 0.5:
            raise ValueError(f"margin must be in [0, 0.5), got {self.margin}")
        object.__setattr__(self, "placement", Placement(self.placement))

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.glyph_px,
            "placement": self.placement.value,
            "margin": self.margin,
            "renderer": "freetype",
            "antialias": "grayscale-256",
            "hinting": False,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderOptions:
        return cls(
            glyph_px=int(data["size"]),
            placement=Placement(data["placement"]),
            margin=float(data["margin"]),
        )


def _ft():
    # freetype is imported on first use so that `glyphrender --help` stays fast.
    import freetype

    return freetype


class GlyphRenderer:
    """Renders code points of one face; open one per process and reuse it.

    ``sfnt_bytes`` is the face as a plain sfnt (``LoadedFont.sfnt_bytes``: a collection's
    face already extracted, WOFF already decompressed), so FreeType opens face 0 of it.
    """

    def __init__(
        self,
        sfnt_bytes: bytes,
        transform: Transform,
        options: RenderOptions,
        name: str = "font",
    ) -> None:
        ft = _ft()
        self.name = name
        self.transform = transform
        self.options = options
        try:
            self._face = ft.Face(io.BytesIO(sfnt_bytes), index=0)
        except ft.FT_Exception as exc:
            raise FontError(f"{name}: FreeType cannot open the font ({exc})") from None
        if not self._face.is_scalable:
            raise FontError(f"{name}: not a scalable (outline) font")
        upm = self._face.units_per_EM
        # One pixel per font unit: outlines load unhinted in font units (26.6), and the
        # TrueType "round ppem" head flag cannot alter the scale since upm is an integer.
        self._face.set_char_size(upm * 64, upm * 64, 72, 72)
        self._raw = self._face._FT_Face
        self._lib = ft.get_handle()
        self._load_flags = ft.FT_LOAD_NO_HINTING | ft.FT_LOAD_NO_BITMAP
        self._bitmap = ft.FT_Bitmap()
        self._bitmap.num_grays = 256
        self._bitmap.pixel_mode = ft.FT_PIXEL_MODE_GRAY
        self._bbox = ft.FT_BBox()
        self._matrix = ft.FT_Matrix()

    def draws(self, codepoint: int) -> bool:
        """Whether the face maps ``codepoint`` to a glyph (its cmap has it)."""
        return _ft().raw.FT_Get_Char_Index(self._raw, codepoint) != 0

    def render(self, codepoint: int) -> tuple[np.ndarray, int]:
        """The glyph on a fresh canvas, and how many ink pixels fell outside it."""
        px = self.options.glyph_px
        canvas = np.zeros((px, px), np.uint8)
        return canvas, self.render_into(codepoint, canvas)

    def render_into(self, codepoint: int, canvas: np.ndarray) -> int:
        """Draw ``codepoint`` into a zeroed (px, px) C-contiguous uint8 array.

        Returns the number of pixels with ink that fell outside the canvas (0 normally).
        """
        ft = _ft()
        raw = ft.raw
        gid = raw.FT_Get_Char_Index(self._raw, codepoint)
        if gid == 0:
            raise FontError(f"{self.name}: has no glyph for U+{codepoint:04X}")
        err = raw.FT_Load_Glyph(self._raw, gid, self._load_flags)
        if err:
            raise FontError(f"{self.name}: FreeType cannot load the glyph of U+{codepoint:04X}")
        slot = self._raw.contents.glyph.contents
        if slot.format != ft.FT_GLYPH_FORMAT_OUTLINE:
            raise FontError(f"{self.name}: the glyph of U+{codepoint:04X} is not an outline")
        outline = ctypes.byref(slot.outline)
        if slot.outline.n_points == 0:
            return 0  # blank glyph (a space): nothing to draw
        t = self.transform
        if self.options.placement is Placement.CENTER:
            raw.FT_Outline_Get_BBox(outline, ctypes.byref(self._bbox))
            b = self._bbox
            t = centred(t, canvas.shape[1], (b.xMin / 64, b.yMin / 64, b.xMax / 64, b.yMax / 64))
        # Outline is in 26.6 font units; scale to 26.6 pixels, y up from the canvas bottom.
        m = self._matrix
        m.xx = m.yy = round(t.scale * 65536)
        m.xy = m.yx = 0
        raw.FT_Outline_Transform(outline, ctypes.byref(m))
        height, width = canvas.shape
        raw.FT_Outline_Translate(
            outline, ft.FT_Pos(round(t.x_offset * 64)), ft.FT_Pos(round((height - t.y_offset) * 64))
        )
        raw.FT_Outline_Get_CBox(outline, ctypes.byref(self._bbox))
        b = self._bbox
        if b.xMin >= 0 and b.yMin >= 0 and b.xMax <= width * 64 and b.yMax <= height * 64:
            self._rasterise(outline, canvas)
            return 0
        return self._render_clipped(outline, canvas, b.xMin, b.yMin, b.xMax, b.yMax)

    def _rasterise(self, outline: Any, target: np.ndarray) -> None:
        ft = _ft()
        bm = self._bitmap
        bm.rows, bm.width = target.shape
        bm.pitch = target.strides[0]  # positive pitch: row 0 is the top row
        bm.buffer = target.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte))
        err = ft.raw.FT_Outline_Get_Bitmap(self._lib, outline, ctypes.byref(bm))
        if err:
            raise FontError(f"{self.name}: FreeType failed to rasterise a glyph (error {err})")

    def _render_clipped(
        self, outline: Any, canvas: np.ndarray, x0: int, y0: int, x1: int, y1: int
    ) -> int:
        """Rasterise onto a canvas grown to hold the whole glyph, count what lies outside."""
        height, width = canvas.shape
        left = min(0, math.floor(x0 / 64))
        bottom = min(0, math.floor(y0 / 64))
        right = max(width, math.ceil(x1 / 64))
        top = max(height, math.ceil(y1 / 64))
        big = np.zeros((top - bottom, right - left), np.uint8)
        ft = _ft()
        ft.raw.FT_Outline_Translate(outline, ft.FT_Pos(-left * 64), ft.FT_Pos(-bottom * 64))
        self._rasterise(outline, big)
        row0, col0 = top - height, -left  # canvas' top-left corner inside `big`
        inside = big[row0 : row0 + height, col0 : col0 + width]
        canvas[...] = inside
        return int(np.count_nonzero(big)) - int(np.count_nonzero(inside))


def render_codepoints(renderer: Any, codepoints: Sequence[int]) -> np.ndarray:
    """(N, px, px) uint8 images of ``codepoints``, in order, by a :class:`GlyphRenderer` or
    anything that draws like one (:class:`~glyphrender.rendering.blend.BlendRenderer`)."""
    px = renderer.options.glyph_px
    out = np.zeros((len(codepoints), px, px), np.uint8)
    for i, cp in enumerate(codepoints):
        renderer.render_into(int(cp), out[i])
    return out
