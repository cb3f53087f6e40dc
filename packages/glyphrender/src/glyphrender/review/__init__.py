"""Reviewing generated glyphs before they go into a font.

:mod:`~glyphrender.review.catalog` measures a generated folder and draws its pictures,
:mod:`~glyphrender.review.server` serves the local review page (``glyphrender review``); the
verdicts themselves live in :mod:`glyphrender.generated.decisions`.
"""
