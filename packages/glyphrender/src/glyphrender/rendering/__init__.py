"""Glyphs drawn into bitmaps: the font-units-to-pixels :mod:`~glyphrender.rendering.transform`,
where a glyph sits on its canvas (:mod:`~glyphrender.rendering.placement`), and the FreeType
renderer itself (:mod:`~glyphrender.rendering.render`).
"""
