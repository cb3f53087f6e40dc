"""Generated bitmaps back into a font: trace them and add them to a copy of the base font.

The glyphs are traced (:mod:`glyphrender.assembly.trace`), mapped to font units with the transform
recorded when the dataset was built, and appended to the base font's glyph order, so every
existing glyph keeps its ID and its data. Added: glyph outlines (quadratic for glyf fonts,
cubic charstrings for CFF fonts), cmap entries (format 4 for the BMP, format 12 for all,
creating a 3/10 format 12 subtable when a character needs it), horizontal metrics and, when
the base has them, vertical metrics, both taken from the base's CJK ideographs. A character
the base already maps is replaced only when the review accepted its generated glyph (the new
glyph is appended and the cmap entry pointed at it; the base's own glyph stays, unchanged),
glyphs rejected in the review (``decisions.json``) are left out, and an edited ``U+XXXX.png``
is used instead of the stored image. The font is
written under a temporary name, loaded back with fontTools and FreeType, re-rendered and
compared with the bitmaps, then renamed.

This module is the orchestration and the checks; the table edits are in
:mod:`~glyphrender.assembly.tables`, the choice of glyphs in
:mod:`~glyphrender.assembly.selection`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glyphrender.assembly.selection import select_glyphs
from glyphrender.assembly.tables import add_glyphs, base_metrics, finish_tables
from glyphrender.assembly.trace import Contour, TraceOptions, trace_bitmap
from glyphrender.atomic import atomic_path
from glyphrender.errors import AssembleError, FontError
from glyphrender.generated.folder import GeneratedMeta, load_glyphs
from glyphrender.generated.provenance import check_dataset
from glyphrender.metrics import ink_iou

MAX_GLYPHS = 65535  # glyph IDs are 16-bit; numGlyphs itself is a uint16


@dataclass(frozen=True)
class AssembleOptions:
    """How generated glyphs are added to the base font."""

    trace: TraceOptions = field(default_factory=TraceOptions)
    family_suffix: str | None = None  # appended to the family name, e.g. " TC"
    force: bool = False  # accept a base font other than the one the glyphs were made for
    overwrite: bool = False  # replace an existing output file
    only_accepted: bool = False  # leave out every glyph the review did not accept


@dataclass(frozen=True)
class AssembleReport:
    """What assembling did; ``points`` and ``iou`` hold one value per new glyph, in the order
    ``added + replaced``."""

    out_path: Path
    outline: str  # "glyf" (quadratic) or "CFF" (cubic)
    added: tuple[int, ...]  # characters the base lacked, now mapped
    already_present: tuple[int, ...]  # in the base already, not accepted: left as they were
    blank: tuple[int, ...]  # nothing left to trace (empty or only specks): not added
    points: tuple[int, ...]  # outline points (on- and off-curve) per new glyph
    iou: tuple[float, ...]
    advance_width: int
    advance_height: int | None
    base_mismatch: bool  # the base is not the font the glyphs were generated for (--force)
    rejected: tuple[int, ...] = ()  # rejected in the review: left out
    not_accepted: tuple[int, ...] = ()  # not accepted in the review: left out (--only-accepted)
    edited: tuple[int, ...] = ()  # added from an edited PNG instead of glyphs.h5
    missing_png: tuple[int, ...] = ()  # PNG deleted: glyphs.h5's image was used
    replaced: tuple[int, ...] = ()  # in the base already, accepted in the review: new glyph


# --- checks ---------------------------------------------------------------------------------------


def check_output_path(out_path: Path, overwrite: bool) -> None:
    if out_path.is_dir():
        raise AssembleError(f"{out_path}: is a directory; give a font file name for --out")
    if out_path.exists() and not overwrite:
        raise AssembleError(f"{out_path}: exists (use --force to replace it)")
    if not out_path.parent.is_dir():
        raise AssembleError(f"{out_path.parent}: output folder does not exist")


def check_transform(meta: GeneratedMeta, units_per_em: int, where: Path) -> None:
    """The recorded transform must put the em on a canvas of about glyph_px pixels."""
    em_px = units_per_em * meta.transform.scale
    if not 0.25 * meta.glyph_px <= em_px <= 1.5 * meta.glyph_px:
        raise AssembleError(
            f"{where}: the recorded transform draws the {units_per_em}-unit em {em_px:.1f} px "
            f"wide, which does not fit {meta.glyph_px} px bitmaps (images of another size?)"
        )


# --- the whole operation --------------------------------------------------------------------------


def _open_base(base_path: Path, meta: GeneratedMeta, glyph_dir: Path, force: bool) -> Any:
    """The base font, refused (without ``force``) unless it is the glyphs' target font."""
    from glyphrender.fonts.loading import open_font

    base = open_font(base_path)
    if base.sha256 != meta.target_font_sha256 and not force:
        raise AssembleError(
            f"{base_path}: is not the font these glyphs were generated for ({glyph_dir} names "
            f"{meta.target_font_path}, sha256 {meta.target_font_sha256[:12]}..., this font has "
            f"{base.sha256[:12]}...); use --force to assemble into it anyway"
        )
    check_transform(meta, base.units_per_em, glyph_dir)
    return base


def _load_for_editing(base: Any, base_path: Path) -> tuple[Any, Any, str]:
    """(font to modify, read-only twin for measuring, "glyf" or "CFF")."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(base.sfnt_bytes), recalcBBoxes=False)
        measure = TTFont(io.BytesIO(base.sfnt_bytes), lazy=True)
    except Exception as exc:  # fontTools raises many types on bad data
        raise FontError(f"{base_path}: cannot be read by fontTools ({exc})") from None
    if "CFF2" in font or "fvar" in font:
        raise AssembleError(
            f"{base_path}: variable fonts (CFF2/fvar) are not supported; use a static instance"
        )
    outline = "glyf" if "glyf" in font else "CFF"
    if outline == "CFF" and "CFF " not in font:
        raise AssembleError(f"{base_path}: has neither glyf nor CFF outlines")
    return font, measure, outline


def _check_glyph_limit(base_path: Path, glyph_count: int, adding: int) -> None:
    if glyph_count + adding > MAX_GLYPHS:
        raise AssembleError(
            f"{base_path}: has {glyph_count} glyphs; adding {adding} would exceed the "
            f"{MAX_GLYPHS}-glyph limit of OpenType fonts (by {glyph_count + adding - MAX_GLYPHS})"
        )


def assemble(
    base_path: str | os.PathLike[str],
    glyph_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    options: AssembleOptions | None = None,
    dataset_dir: str | os.PathLike[str] | None = None,
    on_traced: Callable[[int, int], None] | None = None,
) -> AssembleReport:
    """Add the generated glyphs in ``glyph_dir`` to a copy of ``base_path`` at ``out_path``.

    Edited PNGs replace the stored images (:func:`glyphrender.generated.folder.load_glyphs`);
    the review's decisions (``decisions.json``) leave rejected glyphs out. ``on_traced(done,
    total)`` after each glyph is traced (the slow part; a command's progress line).
    """
    from glyphrender.generated.decisions import read_decisions

    options = options or AssembleOptions()
    base_path, glyph_dir, out_path = Path(base_path), Path(glyph_dir), Path(out_path)
    check_output_path(out_path, options.overwrite)
    glyphs = load_glyphs(glyph_dir)
    if len(glyphs.codepoints) == 0:
        raise AssembleError(f"{glyph_dir}: holds no glyphs")
    if dataset_dir is not None:
        check_dataset(glyphs.meta, Path(dataset_dir), glyph_dir)
    base = _open_base(base_path, glyphs.meta, glyph_dir, options.force)
    font, measure, outline = _load_for_editing(base, base_path)
    chosen = select_glyphs(
        glyphs, set(base.cmap), read_decisions(glyph_dir), options.only_accepted, glyph_dir
    )
    # Additions first, then replacements: the report's points and iou follow this order.
    replacing = {cp for cp, _ in chosen.replace}
    todo = chosen.todo + chosen.replace
    traced = []
    for cp, img in todo:
        traced.append((cp, img, trace_bitmap(img, options.trace)))
        if on_traced is not None:
            on_traced(len(traced), len(todo))
    blank = tuple(cp for cp, _, contours in traced if not contours)
    traced = [t for t in traced if t[2]]
    order = list(font.getGlyphOrder())
    _check_glyph_limit(base_path, len(order), len(traced))
    metrics = base_metrics(font, base.cmap, measure)
    added = add_glyphs(font, traced, glyphs.meta.transform, metrics, order)
    finish_tables(font, added, metrics, options.family_suffix)
    with atomic_path(out_path, "the font") as tmp:
        font.flavor = None  # written and verified as a plain OpenType font, then packed
        font.save(str(tmp))
        iou = _verify(tmp, [g.codepoint for g in added], traced, glyphs.meta, out_path)
        _pack_as_named(tmp, out_path)
    return AssembleReport(
        out_path=out_path,
        outline=outline,
        added=tuple(g.codepoint for g in added if g.codepoint not in replacing),
        replaced=tuple(g.codepoint for g in added if g.codepoint in replacing),
        already_present=chosen.already_present,
        blank=blank,
        points=tuple(g.points for g in added),
        iou=tuple(float(x) for x in iou),
        advance_width=metrics.advance_width,
        advance_height=metrics.advance_height,
        base_mismatch=base.sha256 != glyphs.meta.target_font_sha256,
        rejected=chosen.rejected,
        not_accepted=chosen.not_accepted,
        edited=chosen.edited,
        missing_png=glyphs.missing_png,
    )


# --out's suffix -> the web-font packing it names; any other suffix is a plain OpenType file.
WEB_FLAVORS = {".woff": "woff", ".woff2": "woff2"}


def _pack_as_named(path: Path, out_path: Path) -> None:
    """Repack the verified font at ``path`` as WOFF/WOFF2 when ``out_path``'s suffix asks."""
    from fontTools.ttLib import TTFont

    flavor = WEB_FLAVORS.get(out_path.suffix.lower())
    if flavor is None:
        return
    font = TTFont(io.BytesIO(path.read_bytes()))
    font.flavor = flavor
    try:
        font.save(str(path))
    except ImportError as exc:  # WOFF2 needs the brotli module
        raise AssembleError(f"{out_path}: cannot write {flavor} ({exc})") from None


def _verify(
    path: Path,
    codepoints: list[int],
    traced: list[tuple[int, np.ndarray, list[Contour]]],
    meta: GeneratedMeta,
    out_path: Path,
) -> np.ndarray:
    """Load the written font with fontTools and FreeType; re-render the new glyphs."""
    from fontTools.ttLib import TTFont

    from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

    data = path.read_bytes()
    try:
        reloaded = TTFont(io.BytesIO(data))
        cmap = reloaded.getBestCmap()
        missing = [cp for cp in codepoints if cp not in cmap]
    except Exception as exc:
        raise AssembleError(f"{out_path}: the written font does not load back ({exc})") from None
    if missing:
        raise AssembleError(f"{out_path}: the written font lacks U+{missing[0]:04X} in its cmap")
    options = RenderOptions(glyph_px=meta.glyph_px, placement=meta.placement)
    renderer = GlyphRenderer(data, meta.transform, options, name=str(out_path))
    rendered = render_codepoints(renderer, codepoints)
    originals = np.stack([img for _, img, _ in traced]) if traced else rendered
    return ink_iou(rendered, originals)
