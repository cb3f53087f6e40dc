"""A blended source: several faces drawn into one canvas as the per-pixel mean of their ink.

The quality study (studies/quality-30min) found the plateau of Noto Sans CJK JP -> Zen Maru
Gothic in the source's skeletons: the network cannot guess where the target puts a stroke when
the source puts it elsewhere. Several designers' glyphs of one character, averaged, carry more
of that: where they agree the mean is full ink, where they disagree it is grey. ``glyphrender
build --blend`` records the extra faces in the manifest (role ``blend``), and every place that
draws a dataset's source (the build, ``zi2zi generate``, the review page) draws it through this
class, so a blended source is the same bytes everywhere.

The rule, coded once here: the first face must draw the character (it decides coverage, as
``--src`` does); each other face adds its glyph only if it draws the character; the canvas
gets the mean over the faces that did, rounded to the nearest level (half to even).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glyphrender.rendering.render import GlyphRenderer, RenderOptions


class BlendRenderer:
    """Draws like a :class:`GlyphRenderer` (``render_into``, ``options``, ``name``),
    averaging ``renderers`` over those that draw the character; the first must draw it."""

    def __init__(self, renderers: Sequence[GlyphRenderer]) -> None:
        if not renderers:
            raise ValueError("a blend needs at least one renderer")
        self.renderers = tuple(renderers)
        self.options: RenderOptions = self.renderers[0].options
        self.name = self.renderers[0].name

    def render_into(self, codepoint: int, canvas: np.ndarray) -> int:
        """Draw the blend into a zeroed canvas; the ink pixels any face put outside it, summed."""
        outside = self.renderers[0].render_into(codepoint, canvas)
        if len(self.renderers) == 1:
            return outside
        glyphs = [canvas.copy()]
        for renderer in self.renderers[1:]:
            if renderer.draws(codepoint):
                glyphs.append(np.zeros_like(canvas))
                outside += renderer.render_into(codepoint, glyphs[-1])
        canvas[...] = mean_ink(np.stack(glyphs))
        return outside


def mean_ink(glyphs: np.ndarray, drawn: np.ndarray | None = None) -> np.ndarray:
    """The blend of uint8 ``glyphs`` stacked on axis 0: per pixel their mean, rounded to the
    nearest level (half to even). ``drawn`` (bool, ``glyphs``' shape without the last two
    axes) leaves out the glyphs of faces that do not draw the character; at least one must."""
    total = glyphs.astype(np.float64)
    if drawn is None:
        return np.rint(total.mean(axis=0)).astype(np.uint8)
    weights = drawn.astype(np.float64)[..., None, None]
    return np.rint((total * weights).sum(axis=0) / weights.sum(axis=0)).astype(np.uint8)
