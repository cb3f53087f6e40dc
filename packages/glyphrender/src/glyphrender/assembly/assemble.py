"""Generated bitmaps back into a font: trace them and add them to a copy of the base font.

The glyphs are traced (:mod:`glyphrender.assembly.trace`), mapped to font units with the transform
recorded when the dataset was built, and appended to the base font's glyph order, so every
existing glyph keeps its ID and its data. Added: glyph outlines (quadratic for glyf fonts,
cubic charstrings for CFF fonts), cmap entries (format 4 for the BMP, format 12 for all,
creating a 3/10 format 12 subtable when a character needs it), horizontal metrics and, when
the base has them, vertical metrics, both taken from the base's CJK ideographs. Characters
the base already maps are never replaced, glyphs rejected in the review (``decisions.json``)
are left out, and an edited ``U+XXXX.png`` is used instead of the stored image. The font is written under a temporary name, loaded
back with fontTools and FreeType, re-rendered and compared with the bitmaps, then renamed.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glyphrender.assembly.trace import Contour, TraceOptions, draw_contours, trace_bitmap
from glyphrender.atomic import atomic_path
from glyphrender.errors import AssembleError, FontError
from glyphrender.generated.folder import GeneratedGlyphs, GeneratedMeta, load_glyphs
from glyphrender.generated.provenance import check_dataset
from glyphrender.rendering.transform import Transform

MAX_GLYPHS = 65535  # glyph IDs are 16-bit; numGlyphs itself is a uint16
CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)
QUADRATIC_ERROR_PX = 0.05  # how far quadratic splines may stray from the cubic curves, px
INK_LEVEL = 128  # coverage that counts as ink in the re-render check (half ink)


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
    """What assembling did; ``iou`` holds one re-render ink IoU per added glyph."""

    out_path: Path
    outline: str  # "glyf" (quadratic) or "CFF" (cubic)
    added: tuple[int, ...]
    already_present: tuple[int, ...]  # in the base already: left as they were
    blank: tuple[int, ...]  # nothing left to trace (empty or only specks): not added
    points: tuple[int, ...]  # outline points (on- and off-curve) per added glyph
    iou: tuple[float, ...]
    advance_width: int
    advance_height: int | None
    base_mismatch: bool  # the base is not the font the glyphs were generated for (--force)
    rejected: tuple[int, ...] = ()  # rejected in the review: left out
    not_accepted: tuple[int, ...] = ()  # not accepted in the review: left out (--only-accepted)
    edited: tuple[int, ...] = ()  # added from an edited PNG instead of glyphs.h5
    missing_png: tuple[int, ...] = ()  # PNG deleted: glyphs.h5's image was used


def is_cjk(codepoint: int) -> bool:
    return any(lo <= codepoint <= hi for lo, hi in CJK_RANGES)


def glyph_name(codepoint: int) -> str:
    return f"uni{codepoint:04X}" if codepoint <= 0xFFFF else f"u{codepoint:05X}"


def ink_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image IoU of the inked pixels (coverage >= half) of two (N, H, W) uint8 stacks."""
    ink_a, ink_b = a >= INK_LEVEL, b >= INK_LEVEL
    inter = (ink_a & ink_b).sum(axis=(1, 2))
    union = (ink_a | ink_b).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


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


# --- metrics of the base --------------------------------------------------------------------------


def _most_common(values: list[int], default: int) -> int:
    return Counter(values).most_common(1)[0][0] if values else default


def _raw_glyf_bounds(font: Any, name: str) -> tuple[int, int, int, int] | None:
    """xMin, yMin, xMax, yMax from a glyf record's header, without expanding the glyph
    (expanding would re-encode it on save and break byte-identity of existing glyphs)."""
    glyph = font["glyf"].glyphs.get(name)
    data = getattr(glyph, "data", None)
    if data is not None:
        if len(data) < 10:
            return None
        return tuple(int.from_bytes(data[i : i + 2], "big", signed=True) for i in (2, 4, 6, 8))  # type: ignore[return-value]
    if glyph is None or not getattr(glyph, "numberOfContours", 0):
        return None
    return (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)


@dataclass(frozen=True)
class BaseMetrics:
    advance_width: int
    advance_height: int | None  # None when the base has no vmtx
    vertical_origin: int | None  # y of the vertical origin: tsb = origin - yMax
    fd_index: int | None  # CID-keyed CFF: the FD of the base's CJK glyphs


def base_metrics(font: Any, cmap: dict[int, str], measure: Any) -> BaseMetrics:
    """Metrics of the base's CJK ideographs (most common values); all glyphs if it has none.

    ``measure`` is a second, read-only TTFont of the base used to get CFF bounds, so the
    font being modified never has its charstrings decompiled.
    """
    upm = int(font["head"].unitsPerEm)
    names = [n for cp, n in sorted(cmap.items()) if is_cjk(cp)] or list(cmap.values())
    hmtx = font["hmtx"].metrics
    advance = _most_common([hmtx[n][0] for n in names if n in hmtx], upm)
    advance_height = origin = None
    if "vmtx" in font:
        vmtx = font["vmtx"].metrics
        advance_height = _most_common([vmtx[n][0] for n in names if n in vmtx], upm)
        sample = names[:: max(1, len(names) // 300)]  # bounds of a few hundred are plenty
        origins = []
        if "VORG" in font:
            origin = int(font["VORG"].defaultVertOriginY)
        else:
            glyph_set = measure.getGlyphSet() if "glyf" not in font else None
            for n in sample:
                if n not in vmtx:
                    continue
                bounds = (
                    _raw_glyf_bounds(font, n) if glyph_set is None else _cff_bounds(glyph_set, n)
                )
                if bounds is not None:
                    origins.append(vmtx[n][1] + bounds[3])
            origin = _most_common(origins, int(font["hhea"].ascent))
    fd_index = None
    if "CFF " in font:
        top = font["CFF "].cff.topDictIndex[0]
        if hasattr(top, "FDSelect"):
            gids = [font.getGlyphID(n) for n in names[:2000]]
            fd_index = _most_common([int(top.FDSelect[g]) for g in gids], 0)
    return BaseMetrics(advance, advance_height, origin, fd_index)


def _cff_bounds(glyph_set: Any, name: str) -> tuple[float, float, float, float] | None:
    from fontTools.pens.boundsPen import BoundsPen

    pen = BoundsPen(glyph_set)
    glyph_set[name].draw(pen)
    return pen.bounds


# --- building the new glyphs ----------------------------------------------------------------------


@dataclass
class NewGlyph:
    codepoint: int
    name: str
    glyph: Any  # glyf Glyph or T2CharString
    bounds: tuple[float, float, float, float]
    points: int


def _record(contours: list[Contour], transform: Transform) -> Any:
    from fontTools.pens.recordingPen import RecordingPen

    rec = RecordingPen()
    draw_contours(contours, rec, transform)
    return rec


def build_glyf_glyph(contours: list[Contour], transform: Transform, glyf: Any) -> tuple[Any, int]:
    """A TrueType glyph (quadratic splines, outer contours clockwise) and its point count."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    max_err = QUADRATIC_ERROR_PX / transform.scale
    _record(contours, transform).replay(Cu2QuPen(pen, max_err, reverse_direction=False))
    glyph = pen.glyph()
    glyph.recalcBounds(glyf)
    return glyph, len(glyph.coordinates)


def build_cff_charstring(
    contours: list[Contour], transform: Transform, width_arg: float | None, private: Any, subrs: Any
) -> tuple[Any, tuple[float, float, float, float] | None, int]:
    """A CFF charstring (cubic curves, outer contours counter-clockwise), bounds, point count."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.pens.reverseContourPen import ReverseContourPen
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    rec = _record(contours, transform)
    pen = T2CharStringPen(width_arg, None)
    rec.replay(ReverseContourPen(pen))
    bounds_pen = BoundsPen(None)
    rec.replay(bounds_pen)
    points = sum(len(args) for op, args in rec.value if op in ("moveTo", "lineTo", "curveTo"))
    return pen.getCharString(private=private, globalSubrs=subrs), bounds_pen.bounds, points


# --- the font tables ------------------------------------------------------------------------------


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        candidate = f"{name}.gen{n}"
        n += 1
    return candidate


def add_cmap_entries(font: Any, mapping: dict[int, str]) -> None:
    """Map the new characters in every Unicode subtable able to hold them."""
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    cmap_table = font["cmap"]
    unicode_tables = [t for t in cmap_table.tables if t.isUnicode() and t.format in (4, 12)]
    has_full = any(t.format == 12 for t in unicode_tables)
    if not has_full and any(cp > 0xFFFF for cp in mapping):
        full = CmapSubtable.newSubtable(12)
        full.platformID, full.platEncID, full.language = 3, 10, 0
        full.cmap = dict(font.getBestCmap() or {})
        cmap_table.tables.append(full)
        cmap_table.tables.sort(key=lambda t: (t.platformID, t.platEncID, t.language))
        unicode_tables.append(full)
    for table in unicode_tables:
        for cp, name in mapping.items():
            if table.format == 12 or cp <= 0xFFFF:
                table.cmap[cp] = name


def rename_family(font: Any, suffix: str) -> None:
    """Append ``suffix`` to the family name: name IDs 1, 16, 21, 4, 6, 3 (and CFF names)."""
    name_table = font["name"]
    ps_suffix = re.sub(r"[^!-~]|[\[\](){}<>/%]", "", suffix)
    old_ps = name_table.getDebugName(6)
    old_family = name_table.getDebugName(16) or name_table.getDebugName(1) or ""
    new_ps = None
    if old_ps:
        head, sep, tail = old_ps.partition("-")
        new_ps = (head + ps_suffix + sep + tail)[:63]
    for record in name_table.names:
        try:
            text = record.toUnicode()
        except UnicodeDecodeError:
            continue
        if record.nameID in (1, 16, 21):
            new = text + suffix
        elif record.nameID == 4:
            new = (
                old_family + suffix + text[len(old_family) :]
                if old_family and text.startswith(old_family)
                else text + suffix
            )
        elif record.nameID == 6 and new_ps:
            new = new_ps
        elif record.nameID == 3:
            if old_ps and new_ps and old_ps in text:
                new = text.replace(old_ps, new_ps)
            else:
                new = f"{text};{new_ps or suffix.strip()}"
        else:
            continue
        record.string = new
    if "CFF " in font and new_ps:
        cff = font["CFF "].cff
        cff.fontNames[0] = new_ps
        top = cff.topDictIndex[0]
        for key in ("FamilyName", "FullName"):
            if hasattr(top, key):
                setattr(top, key, getattr(top, key) + suffix)


def _update_bounds_tables(font: Any, added: list[NewGlyph], adv: int, adv_h: int | None) -> None:
    """head bbox, hhea/vhea extremes and maxp counts, updated for the new glyphs only (the
    font is loaded with recalcBBoxes off so that existing glyphs are not re-encoded)."""
    inked = [g for g in added if g.bounds is not None]
    if not inked:
        return
    head = font["head"]
    x0 = min(round(g.bounds[0]) for g in inked)
    y0 = min(round(g.bounds[1]) for g in inked)
    x1 = max(round(g.bounds[2]) for g in inked)
    y1 = max(round(g.bounds[3]) for g in inked)
    head.xMin, head.yMin = min(head.xMin, x0), min(head.yMin, y0)
    head.xMax, head.yMax = max(head.xMax, x1), max(head.yMax, y1)
    hhea = font["hhea"]
    hhea.advanceWidthMax = max(hhea.advanceWidthMax, adv)
    hhea.minLeftSideBearing = min(hhea.minLeftSideBearing, x0)
    hhea.minRightSideBearing = min(
        hhea.minRightSideBearing, min(adv - round(g.bounds[2]) for g in inked)
    )
    hhea.xMaxExtent = max(hhea.xMaxExtent, x1)
    if "vhea" in font and adv_h is not None:
        vhea, vmtx = font["vhea"], font["vmtx"].metrics
        vhea.advanceHeightMax = max(vhea.advanceHeightMax, adv_h)
        tsbs = [vmtx[g.name][1] for g in inked]
        vhea.minTopSideBearing = min(vhea.minTopSideBearing, min(tsbs))
        vhea.minBottomSideBearing = min(
            vhea.minBottomSideBearing,
            min(
                adv_h - t - (round(g.bounds[3]) - round(g.bounds[1]))
                for t, g in zip(tsbs, inked, strict=True)
            ),
        )
        vhea.yMaxExtent = max(
            vhea.yMaxExtent,
            max(
                t + round(g.bounds[3]) - round(g.bounds[1])
                for t, g in zip(tsbs, inked, strict=True)
            ),
        )
    maxp = font["maxp"]
    if "glyf" in font and maxp.tableVersion >= 0x00010000:
        maxp.maxPoints = max(maxp.maxPoints, max(len(g.glyph.coordinates) for g in inked))
        maxp.maxContours = max(maxp.maxContours, max(g.glyph.numberOfContours for g in inked))


def _update_os2(font: Any, codepoints: list[int]) -> None:
    if "OS/2" not in font or not codepoints:
        return
    from fontTools.ttLib.tables.O_S_2f_2 import intersectUnicodeRanges

    os2 = font["OS/2"]
    os2.setUnicodeRanges(os2.getUnicodeRanges() | intersectUnicodeRanges(codepoints))
    os2.usFirstCharIndex = min(os2.usFirstCharIndex, min(codepoints), 0xFFFF)
    os2.usLastCharIndex = min(max(os2.usLastCharIndex, max(codepoints)), 0xFFFF)


def _update_device_tables(font: Any, added: list[NewGlyph], adv: int) -> None:
    """hdmx and LTSH hold one entry per glyph: give the new glyphs theirs."""
    upm = font["head"].unitsPerEm
    if "hdmx" in font:
        for ppem, widths in font["hdmx"].hdmx.items():
            for g in added:
                widths[g.name] = round(adv * ppem / upm)
    if "LTSH" in font:
        for g in added:
            font["LTSH"].yPels[g.name] = 1


# --- the whole operation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which generated glyphs go into the font, and why the others do not."""

    todo: list[tuple[int, np.ndarray]]  # (code point, coverage) to trace and add
    already_present: tuple[int, ...]
    rejected: tuple[int, ...]  # rejected in the review
    not_accepted: tuple[int, ...]  # undecided, left out by --only-accepted
    edited: tuple[int, ...]  # of the glyphs in todo, those whose PNG was edited


def select_glyphs(
    glyphs: GeneratedGlyphs,
    present: set[int],
    decisions: dict[int, str] | None,
    only_accepted: bool,
    glyph_dir: Path,
) -> Selection:
    """Leave out what the base already has, what the review rejected and, with
    ``only_accepted``, what it did not accept."""
    from glyphrender.generated.decisions import ACCEPTED, DECISIONS_NAME, REJECTED

    if only_accepted and decisions is None:
        raise AssembleError(
            f"{glyph_dir}: has no {DECISIONS_NAME} for --only-accepted; review the glyphs "
            f"first (glyphrender review {glyph_dir})"
        )
    verdicts = decisions or {}
    todo, already, rejected, not_accepted = [], [], [], []
    for cp, image in zip(glyphs.codepoints.tolist(), glyphs.images, strict=True):
        verdict = verdicts.get(cp)
        if cp in present:
            already.append(cp)
        elif verdict == REJECTED:
            rejected.append(cp)
        elif only_accepted and verdict != ACCEPTED:
            not_accepted.append(cp)
        else:
            todo.append((cp, image))
    if only_accepted and not todo and not already:
        raise AssembleError(f"{glyph_dir}: no glyph is accepted in {DECISIONS_NAME}")
    chosen = {cp for cp, _ in todo}
    edited = tuple(cp for cp in glyphs.edited if cp in chosen)
    return Selection(todo, tuple(already), tuple(rejected), tuple(not_accepted), edited)


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


def _finish_tables(
    font: Any, added: list[NewGlyph], metrics: BaseMetrics, family_suffix: str | None
) -> None:
    """Everything besides the glyphs themselves: cmap, bounds, OS/2, device tables, names."""
    add_cmap_entries(font, {g.codepoint: g.name for g in added})
    _update_bounds_tables(font, added, metrics.advance_width, metrics.advance_height)
    _update_os2(font, [g.codepoint for g in added])
    _update_device_tables(font, added, metrics.advance_width)
    if "DSIG" in font:
        del font["DSIG"]  # the signature no longer matches the data
    if family_suffix:
        rename_family(font, family_suffix)


def assemble(
    base_path: str | os.PathLike[str],
    glyph_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    options: AssembleOptions | None = None,
    dataset_dir: str | os.PathLike[str] | None = None,
) -> AssembleReport:
    """Add the generated glyphs in ``glyph_dir`` to a copy of ``base_path`` at ``out_path``.

    Edited PNGs replace the stored images (:func:`glyphrender.generated.folder.load_glyphs`);
    the review's decisions (``decisions.json``) leave rejected glyphs out.
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
    traced = [(cp, img, trace_bitmap(img, options.trace)) for cp, img in chosen.todo]
    blank = tuple(cp for cp, _, contours in traced if not contours)
    traced = [t for t in traced if t[2]]
    order = list(font.getGlyphOrder())
    _check_glyph_limit(base_path, len(order), len(traced))
    metrics = base_metrics(font, base.cmap, measure)
    added = _add_glyphs(font, traced, glyphs.meta.transform, metrics, order)
    _finish_tables(font, added, metrics, options.family_suffix)
    with atomic_path(out_path, "the font") as tmp:
        font.save(str(tmp))
        iou = _verify(tmp, [g.codepoint for g in added], traced, glyphs.meta, out_path)
    return AssembleReport(
        out_path=out_path,
        outline=outline,
        added=tuple(g.codepoint for g in added),
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


def _add_glyphs(
    font: Any,
    traced: list[tuple[int, np.ndarray, list[Contour]]],
    transform: Transform,
    metrics: BaseMetrics,
    order: list[str],
) -> list[NewGlyph]:
    """Build the glyphs, append them to the glyph order and give them metrics."""
    taken = set(order)
    adv, adv_h = metrics.advance_width, metrics.advance_height
    added: list[NewGlyph] = []
    if "glyf" in font:
        glyf = font["glyf"]
        for cp, _, contours in traced:
            name = _unique_name(glyph_name(cp), taken)
            taken.add(name)
            glyph, points = build_glyf_glyph(contours, transform, glyf)
            bounds = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
            glyf.glyphs[name] = glyph
            added.append(NewGlyph(cp, name, glyph, bounds, points))
        new_order = order + [g.name for g in added]
        font.setGlyphOrder(new_order)
        glyf.setGlyphOrder(new_order)
    else:
        cff = font["CFF "].cff
        top = cff.topDictIndex[0]
        charstrings = top.CharStrings
        cid_keyed = hasattr(top, "FDSelect")
        private = top.FDArray[metrics.fd_index or 0].Private if cid_keyed else top.Private
        default_w = getattr(private, "defaultWidthX", 0)
        width_arg = None if adv == default_w else adv - getattr(private, "nominalWidthX", 0)
        next_cid = 1 + max(
            (int(n[3:]) for n in order if n.startswith("cid") and n[3:].isdigit()),
            default=len(order) - 1,
        )
        for cp, _, contours in traced:
            if cid_keyed:  # CID-keyed fonts name glyphs by CID; fontTools writes "cidNNNNN"
                name = f"cid{next_cid:05d}"
                next_cid += 1
            else:
                name = _unique_name(glyph_name(cp), taken)
            taken.add(name)
            cs, bounds, points = build_cff_charstring(
                contours, transform, width_arg, private, cff.GlobalSubrs
            )
            if charstrings.charStringsAreIndexed:
                charstrings.charStringsIndex.append(cs)
                charstrings.charStrings[name] = len(charstrings.charStringsIndex) - 1
            else:
                charstrings.charStrings[name] = cs
            top.charset.append(name)
            if cid_keyed:
                top.FDSelect.append(metrics.fd_index or 0)
            added.append(NewGlyph(cp, name, cs, bounds, points))
        font.setGlyphOrder(order + [g.name for g in added])
    hmtx = font["hmtx"].metrics
    vmtx = font["vmtx"].metrics if "vmtx" in font and adv_h is not None else None
    for g in added:
        hmtx[g.name] = (adv, round(g.bounds[0]))  # lsb = xMin: FreeType places glyf by it
        if vmtx is not None:
            vmtx[g.name] = (adv_h, round((metrics.vertical_origin or 0) - g.bounds[3]))
    font["maxp"].numGlyphs = len(font.getGlyphOrder())
    return added


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
