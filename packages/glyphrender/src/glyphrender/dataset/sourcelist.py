"""A source list: a dataset's source font, then fallback fonts, in that order.

A model trained on form-consistent pairs (Noto Sans JP -> Zen Maru Gothic) can still generate
the characters its source lacks from another font (Noto Sans TC). Each character is drawn by
the *first* font of the list that draws it (``fonts.present_codepoints``), with the renderer,
glyph size, placement and margin that built the dataset's shards. The dataset's source keeps
the transform its manifest records (so its glyphs equal the shards' bit for bit); a fallback
font gets its own em-box transform by the same rule (``placement.font_transform``), i.e. the
glyph it would have in a dataset built with it as ``--src``. ``zi2zi generate --src`` puts
another font at the head of the list instead of the dataset's source (train on Noto Sans CJK JP
-> Zen Maru Gothic, draw from the TC face): it too is rendered as a build with it would be.
If the build blended other fonts into the source (``build --blend``), every font of the list
takes the source's place in that blend, so the model sees the kind of image it trained on.
``zi2zi generate --blend`` swaps the blend fonts themselves, as many as the build had, each
rendered as a build with it as ``--blend`` would (the same designs in other forms: train with
Japanese faces, draw with Traditional Chinese ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glyphrender.dataset.rerender import (
    blend_renderers,
    open_recorded,
    render_options,
    renderer_for,
)
from glyphrender.errors import DatasetError, FontError
from glyphrender.fonts.loading import (
    FaceInfo,
    FontRef,
    LoadedFont,
    open_font,
    present_codepoints,
)
from glyphrender.rendering.blend import BlendRenderer
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

if TYPE_CHECKING:
    from glyphrender.dataset.shards import Dataset

NO_SOURCE = -1  # index of a character no font of the list draws


@dataclass(frozen=True)
class _Listed:
    info: FaceInfo  # as the generated folder records it
    font: LoadedFont
    present: frozenset[int]
    renderer: BlendRenderer  # the font alone, or at the head of the dataset's blend


@dataclass(frozen=True)
class SourceList:
    """Fonts in fallback order (index 0: the dataset's source) with their renderers."""

    listed: tuple[_Listed, ...]

    @property
    def fonts(self) -> tuple[FaceInfo, ...]:
        return tuple(item.info for item in self.listed)

    def drawn(self) -> frozenset[int]:
        """Every character some font of the list draws."""
        out: set[int] = set()
        for item in self.listed:
            out |= item.present
        return frozenset(out)

    def pick(self, codepoints: Sequence[int]) -> np.ndarray:
        """(N,) int16: per character the index of the first font that draws it, or NO_SOURCE."""
        out = np.full(len(codepoints), NO_SOURCE, dtype=np.int16)
        for i, cp in enumerate(codepoints):
            for index, item in enumerate(self.listed):
                if int(cp) in item.present:
                    out[i] = index
                    break
        return out

    def render(self, codepoints: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(N, px, px) uint8 images of ``codepoints`` (in order), each from the first font
        that draws it, and (N,) int16 the index of that font. Raises :class:`FontError`
        listing the characters no font of the list draws."""
        cps = [int(c) for c in codepoints]
        picks = self.pick(cps)
        lacking = [cp for cp, p in zip(cps, picks.tolist(), strict=True) if p == NO_SOURCE]
        if lacking:
            shown = ", ".join(f"U+{c:04X} {chr(c)}" for c in lacking[:20])
            more = f" and {len(lacking) - 20} more" if len(lacking) > 20 else ""
            if len(self.listed) == 1:
                raise FontError(f"{self.listed[0].info.path}: does not draw {shown}{more}")
            names = ", ".join(item.info.path for item in self.listed)
            raise FontError(f"no source font draws {shown}{more} (sources: {names})")
        px = self.listed[0].renderer.options.glyph_px
        images = np.zeros((len(cps), px, px), np.uint8)
        for index, item in enumerate(self.listed):
            rows = np.flatnonzero(picks == index)
            if len(rows):
                images[rows] = render_codepoints(item.renderer, [cps[r] for r in rows])
        return images, picks


def _listed(
    font: LoadedFont, path: str, renderer: GlyphRenderer, blend: list[GlyphRenderer]
) -> _Listed:
    head = BlendRenderer([renderer, *blend])
    return _Listed(FaceInfo.of(font, path), font, present_codepoints(font), head)


def _open(ref: FontRef | str) -> LoadedFont:
    """A font given as a FontRef, a path or ``path#N``."""
    return open_font(ref if isinstance(ref, FontRef) else FontRef.parse(str(ref)))


def _as_built(font: LoadedFont, options: RenderOptions) -> GlyphRenderer:
    """A font's renderer with the em-box transform a build with it as ``--src`` (or
    ``--blend``) would record: the same glyph size, placement and margin."""
    transform = font_transform(em_box(font), options.glyph_px, options.margin)
    return GlyphRenderer(font.sfnt_bytes, transform, options, name=str(font.ref))


def _listed_other(font: LoadedFont, options: RenderOptions, blend: list[GlyphRenderer]) -> _Listed:
    """A font other than the dataset's source, rendered as a build with it as ``--src`` would."""
    return _listed(font, str(font.ref), _as_built(font, options), blend)


def open_source_list(
    dataset: Dataset,
    fallbacks: Sequence[FontRef | str],
    source: FontRef | str | None = None,
    blend: Sequence[FontRef | str] | None = None,
) -> SourceList:
    """The dataset's source font followed by ``fallbacks`` (paths, ``path#N`` or FontRefs).

    With ``source`` (``zi2zi generate --src``) that font takes the dataset's source's place at
    the head of the list, rendered as a dataset built with it as ``--src`` would render it.
    With ``blend`` (``zi2zi generate --blend``) those fonts replace the ones the build blended
    into the source, one for one.
    """
    options = render_options(dataset)
    blend = blend_renderers(dataset) if blend is None else _swapped_blend(dataset, blend, options)
    if source is None:
        entry = dataset.source_font
        font = open_recorded(entry)
        head = _listed(font, entry.path, renderer_for(font.sfnt_bytes, entry, options), blend)
    else:
        font = _open(source)
        head = _listed_other(font, options, blend)
    listed = [head]
    seen = {(font.sha256, font.face_index)}
    for ref in fallbacks:
        font = _open(ref)
        if (font.sha256, font.face_index) in seen:
            raise FontError(f"{font.ref}: is already in the source list (give each font once)")
        seen.add((font.sha256, font.face_index))
        listed.append(_listed_other(font, options, blend))
    return SourceList(tuple(listed))


def _swapped_blend(
    dataset: Dataset, refs: Sequence[FontRef | str], options: RenderOptions
) -> list[GlyphRenderer]:
    """Renderers of ``refs`` in place of the build's blend fonts: as many, each with the
    em-box transform a build with it as ``--blend`` would record."""
    recorded = len(dataset.manifest.blend_fonts)
    if len(refs) != recorded:
        raise DatasetError(
            f"{dataset.path}: its build blended {recorded} font(s) into the source; give as "
            f"many to swap them, not {len(refs)} (the model learned a mean of that many designs)"
        )
    return [_as_built(_open(ref), options) for ref in refs]


def blend_counts(
    dataset: Dataset,
    codepoints: Sequence[int],
    blend: Sequence[FontRef | str] | None = None,
) -> np.ndarray:
    """(N,) int: per character, how many fonts its blended source is the mean of: the source
    (1) plus each blend font that draws it (``blend``: ``zi2zi generate --blend``'s fonts in
    place of the build's). A model trained on full blends meets fewer where the blend fonts
    lack a character, down to the source alone, an input it never trained on."""
    options = render_options(dataset)
    renderers = (
        blend_renderers(dataset) if blend is None else _swapped_blend(dataset, blend, options)
    )
    counts = np.ones(len(codepoints), dtype=np.int64)
    for renderer in renderers:
        counts += [renderer.draws(int(cp)) for cp in codepoints]
    return counts


def dataset_charset(dataset: Dataset) -> frozenset[int]:
    """The charset the dataset was built with, resolved again from its manifest's spec and
    checked against the count recorded there."""
    from glyphrender.errors import CharsetError
    from glyphrender.fonts.charsets import resolve_charset

    record = dataset.manifest.charset or {}
    spec, count = record.get("spec"), record.get("count")
    if not spec:
        raise DatasetError(f"{dataset.path}: the manifest records no charset")
    try:
        charset = resolve_charset([str(s) for s in spec])
    except CharsetError as exc:
        raise DatasetError(
            f"{dataset.path}: the build's charset {' '.join(spec)} cannot be read again ({exc})"
        ) from None
    if count is not None and len(charset) != int(count):
        raise DatasetError(
            f"{dataset.path}: the build's charset {' '.join(spec)} now has {len(charset)} "
            f"characters, the manifest says {count} (it changed)"
        )
    return charset.as_set()


def target_lacks(dataset: Dataset, style_id: int, sources: SourceList) -> list[int]:
    """The characters of the dataset's charset that the style's target font lacks and some
    font of ``sources`` draws, sorted: the missing split extended by the fallbacks."""
    return sorted((dataset_charset(dataset) & sources.drawn()) - target_draws(dataset, style_id))


def target_draws(dataset: Dataset, style_id: int) -> frozenset[int]:
    """The characters the style's target font draws (refused if the font changed since the
    build). Generated glyphs for these are replacement candidates, not additions."""
    return present_codepoints(open_recorded(dataset.target_font(style_id)))
