"""Folders of generated glyphs: their format (:mod:`~glyphrender.generated.folder`), the review's
verdicts on them (:mod:`~glyphrender.generated.decisions`), and the check that a folder came
from a given dataset (:mod:`~glyphrender.generated.provenance`).
"""
