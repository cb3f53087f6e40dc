"""Characters rendered again exactly as a dataset's build rendered them.

:func:`render_for_dataset` reopens the fonts a manifest records, checks each is the same file
(sha256), and draws through :class:`~glyphrender.rendering.render.GlyphRenderer` with the
recorded transform and render options (the source blended with the manifest's ``blend`` fonts
by :class:`~glyphrender.rendering.blend.BlendRenderer`, as the build did), so a character also
in the shards comes out pixel for pixel the same (``zi2zi generate`` and the review page use it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glyphrender.dataset.manifest import FontRecord
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import DatasetError, FontError
from glyphrender.fonts.loading import FontRef, LoadedFont, open_font, present_codepoints
from glyphrender.rendering.blend import BlendRenderer
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints


def renderer_for(sfnt_bytes: bytes, font: FontRecord, options: RenderOptions) -> GlyphRenderer:
    """The renderer of one manifest font record: its transform and path."""
    if font.transform is None:
        raise DatasetError(f"{font.path}: the manifest records no transform for this font")
    return GlyphRenderer(sfnt_bytes, font.transform, options, name=font.path)


def open_recorded(entry: FontRecord) -> LoadedFont:
    """The font a manifest entry names, refused if it changed since the build."""
    font = open_font(FontRef(entry.path, entry.face_index))
    if font.sha256 != entry.sha256:
        raise FontError(
            f"{entry.path}: the font changed since the dataset was built "
            f"(sha256 {font.sha256[:12]}..., manifest says {entry.sha256[:12]}...)"
        )
    return font


def render_options(dataset: Dataset) -> RenderOptions:
    """The render options the dataset's build recorded."""
    options = dataset.manifest.render
    if options is None:
        raise DatasetError(f"{dataset.path}: manifest has no usable render options (none recorded)")
    return options


def blend_renderers(dataset: Dataset) -> list[GlyphRenderer]:
    """The renderers of the fonts the build blended into the source (none for most datasets)."""
    options = render_options(dataset)
    return [
        renderer_for(open_recorded(entry).sfnt_bytes, entry, options)
        for entry in dataset.manifest.blend_fonts
    ]


def render_for_dataset(
    dataset: Dataset,
    codepoints: Sequence[int],
    role: str = "source",
    style_id: int = 0,
) -> np.ndarray:
    """Render ``codepoints`` exactly as the dataset's build rendered them: (N, H, W) uint8.

    Reopens the fonts recorded in the manifest (``role`` "source", blended as the build did, or
    "target" with ``style_id``), checks each still has the recorded sha256, and raises
    :class:`FontError` naming the characters the (source or target) font does not draw.
    """
    if role == "source":
        entry = dataset.source_font
    elif role == "target":
        entry = dataset.target_font(style_id)
    else:
        raise ValueError(f"role must be 'source' or 'target', got {role!r}")
    options = render_options(dataset)
    font = open_recorded(entry)
    cps = [int(c) for c in codepoints]
    present = present_codepoints(font)
    lacking = [c for c in cps if c not in present]
    if lacking:
        shown = ", ".join(f"U+{c:04X} {chr(c)}" for c in lacking[:20])
        more = f" and {len(lacking) - 20} more" if len(lacking) > 20 else ""
        raise FontError(f"{entry.path}: has no glyph for {shown}{more}")
    renderer = renderer_for(font.sfnt_bytes, entry, options)
    if role == "source":
        return render_codepoints(BlendRenderer([renderer, *blend_renderers(dataset)]), cps)
    return render_codepoints(renderer, cps)
