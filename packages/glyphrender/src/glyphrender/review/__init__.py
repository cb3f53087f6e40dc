"""Reviewing generated glyphs before they go into a font.

:mod:`~glyphrender.review.decisions` reads and writes the verdicts (``decisions.json``),
:mod:`~glyphrender.review.server` serves the local review page (``glyphrender review``).
"""
