"""Fonts as glyphrender reads them: opening a font file or collection face and deciding which
characters it really draws (:mod:`~glyphrender.fonts.loading`), named and file character sets
(:mod:`~glyphrender.fonts.charsets`), and what two or more fonts share
(:mod:`~glyphrender.fonts.coverage`).
"""
