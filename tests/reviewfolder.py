"""A small generated-glyph folder to review: what `zi2zi generate` writes, without a model.

The "generated" glyphs are renders of a fuller font than the base, placed with the base's
transform exactly as a dataset's glyphs are; the sources are renders of a
font whose shapes are shifted by one character, so each generated glyph differs from its
source by a different, measurable amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fontfactory import make_font, standard_glyphs
from glyphrender.fonts.loading import open_font
from glyphrender.generated.folder import GeneratedMeta, write_generated
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

GLYPH_PX = 64
N_BASE = 8  # the base font draws the first N_BASE standard glyphs
N_ALL = 20


@dataclass(frozen=True)
class ReviewFolder:
    base: Path  # the target font (draws N_BASE characters)
    folder: Path  # gen/NAME: N_ALL - N_BASE generated glyphs the base lacks
    codepoints: list[int]  # of the generated glyphs, in order


def make_review_folder(directory: Path, with_sources: bool = True) -> ReviewFolder:
    glyphs = standard_glyphs(N_ALL, stroke=100)
    base = make_font(directory / "base.ttf", dict(list(glyphs.items())[:N_BASE]))
    full = make_font(directory / "full.ttf", glyphs)
    shapes = list(glyphs.values())
    shifted = {cp: shapes[(i + 1) % N_ALL] for i, cp in enumerate(glyphs)}
    source_font = make_font(directory / "source.ttf", shifted)
    base_font = open_font(base)
    transform = font_transform(em_box(base_font), GLYPH_PX)
    options = RenderOptions(glyph_px=GLYPH_PX)
    cps = list(glyphs)[N_BASE:]

    def render(path: Path):
        renderer = GlyphRenderer(open_font(path).sfnt_bytes, transform, options)
        return render_codepoints(renderer, cps)

    meta = GeneratedMeta(
        style_id=0,
        style_name="Test Glyphs Regular",
        glyph_px=GLYPH_PX,
        placement="font",
        target_font_sha256=base_font.sha256,
        target_font_path=str(base),
        transform=transform,
        dataset_manifest_sha256="0" * 64,
    )
    sources = render(source_font) if with_sources else None
    folder = write_generated(directory / "gen" / "test", render(full), cps, meta, sources=sources)
    return ReviewFolder(base, folder, cps)


def make_replacement_folder(directory: Path, count: int = 2) -> ReviewFolder:
    """A review folder whose first ``count`` glyphs are replacement candidates: characters
    the base font already draws, generated in another form (the images of glyphs the base
    lacks, so each differs from the base's own), followed by the usual missing glyphs."""
    import numpy as np
    from glyphrender.generated.folder import read_generated, read_sources

    made = make_review_folder(directory / "plain")
    meta, images, cps = read_generated(made.folder)
    sources = read_sources(made.folder)
    base_cps = sorted(open_font(made.base).cmap)[:count]
    folder = write_generated(
        directory / "gen" / "replace",
        np.concatenate([images[-count:], images]),
        [*base_cps, *cps.tolist()],
        meta,
        sources=np.concatenate([sources[-count:], sources]),
    )
    return ReviewFolder(made.base, folder, [*base_cps, *cps.tolist()])
