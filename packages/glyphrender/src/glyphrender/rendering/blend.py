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
        total = canvas.astype(np.float64)
        count = 1
        scratch = np.zeros_like(canvas)
        for renderer in self.renderers[1:]:
            if not renderer.draws(codepoint):
                continue
            scratch.fill(0)
            outside += renderer.render_into(codepoint, scratch)
            total += scratch
            count += 1
        canvas[...] = np.rint(total / count).astype(np.uint8)
        return outside
