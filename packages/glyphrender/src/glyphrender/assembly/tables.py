"""Font-table edits that add new glyphs to a fontTools ``TTFont``, keeping every existing glyph.

New glyphs are built from traced contours (:mod:`glyphrender.assembly.trace`) as quadratic glyf
glyphs or cubic CFF charstrings, appended to the glyph order with metrics taken from the base's
CJK ideographs (:func:`base_metrics`), mapped in every Unicode cmap subtable that can hold them,
and the bounds in head/hhea/vhea/maxp, OS/2's ranges, hdmx/LTSH and (optionally) the family
names are updated. The font must be loaded with ``recalcBBoxes=False`` so that saving does not
re-encode the existing glyphs. :func:`glyphrender.assembly.assemble.assemble` runs all of it on
a generated folder; the steps alone, on a one-glyph font made with fontTools' FontBuilder::

    >>> import io
    >>> import numpy as np
    >>> from fontTools.fontBuilder import FontBuilder
    >>> from fontTools.pens.ttGlyphPen import TTGlyphPen
    >>> from fontTools.ttLib import TTFont
    >>> from glyphrender.assembly.tables import add_glyphs, base_metrics, finish_tables
    >>> from glyphrender.assembly.trace import trace_bitmap
    >>> from glyphrender.rendering.transform import Transform
    >>> builder = FontBuilder(1000, isTTF=True)
    >>> builder.setupGlyphOrder([".notdef"])
    >>> builder.setupCharacterMap({})
    >>> builder.setupGlyf({".notdef": TTGlyphPen(None).glyph()})
    >>> builder.setupHorizontalMetrics({".notdef": (1000, 0)})
    >>> builder.setupHorizontalHeader(ascent=880, descent=-120)
    >>> builder.setupNameTable({"familyName": "Demo", "styleName": "Regular"})
    >>> builder.setupOS2()
    >>> builder.setupPost()
    >>> base = io.BytesIO()
    >>> builder.save(base)

    Load it for editing, trace a 64 px bitmap of a square and add it as U+4E00 (64 px per em,
    baseline 56 px down the canvas):

    >>> font = TTFont(io.BytesIO(base.getvalue()), recalcBBoxes=False)
    >>> bitmap = np.zeros((64, 64), np.uint8)
    >>> bitmap[8:56, 8:56] = 255
    >>> contours = trace_bitmap(bitmap)
    >>> transform = Transform(scale=64 / 1000, x_offset=0.0, y_offset=56.0)
    >>> metrics = base_metrics(font, font.getBestCmap(), font)
    >>> order = list(font.getGlyphOrder())
    >>> added = add_glyphs(font, [(0x4E00, bitmap, contours)], transform, metrics, order)
    >>> finish_tables(font, added, metrics, family_suffix=" Plus")
    >>> out = io.BytesIO()
    >>> font.save(out)
    >>> saved = TTFont(io.BytesIO(out.getvalue()))
    >>> saved.getBestCmap()[0x4E00], saved["hmtx"][saved.getBestCmap()[0x4E00]]
    ('uni4E00', (1000, 125))
    >>> saved["glyf"]["uni4E00"].xMin, saved["glyf"]["uni4E00"].yMax
    (125, 750)
    >>> saved["name"].getDebugName(1)
    'Demo Plus'
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from glyphrender.assembly.trace import Contour, draw_contours
from glyphrender.errors import AssembleError
from glyphrender.rendering.transform import Transform

CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)
QUADRATIC_ERROR_PX = 0.05  # how far quadratic splines may stray from the cubic curves, px


def is_cjk(codepoint: int) -> bool:
    return any(lo <= codepoint <= hi for lo, hi in CJK_RANGES)


def glyph_name(codepoint: int) -> str:
    return f"uni{codepoint:04X}" if codepoint <= 0xFFFF else f"u{codepoint:05X}"


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


# --- adding the glyphs and finishing the tables ---------------------------------------------------


MAX_CID = 65535  # a CFF charset stores CIDs as 16-bit numbers


def free_cids(order: list[str], count: int) -> list[int]:
    """``count`` CIDs no glyph of a CID-keyed font uses (glyph names ``cidNNNNN``): after the
    highest one while they fit in 16 bits, then the unused ones below it, lowest first.

    A subset of a large CID font keeps its high CIDs (Noto Sans CJK's reach 65,534), so
    counting on from the highest would pass 65,535 long before the glyph count does.
    """
    used = {int(n[3:]) for n in order if n.startswith("cid") and n[3:].isdigit()}
    top = max(used, default=len(order) - 1)
    above = range(top + 1, MAX_CID + 1)
    below = (cid for cid in range(1, top) if cid not in used)
    cids = list(itertools.islice(itertools.chain(above, below), count))
    if len(cids) < count:
        raise AssembleError(
            f"CID-keyed font: {len(cids)} CIDs of {MAX_CID} are free, {count} glyphs to add"
        )
    return cids


def add_glyphs(
    font: Any,
    traced: list[tuple[int, np.ndarray, list[Contour]]],
    transform: Transform,
    metrics: BaseMetrics,
    order: list[str],
) -> list[NewGlyph]:
    """Build the glyphs, append them to the glyph order and give them metrics.

    ``traced`` holds (code point, bitmap, contours in pixels); ``order`` is the base's glyph
    order, whose glyphs all keep their IDs.
    """
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
        new_cids = iter(free_cids(order, len(traced)) if cid_keyed else ())
        for cp, _, contours in traced:
            # CID-keyed fonts name glyphs by CID; fontTools writes "cidNNNNN".
            cid_name = f"cid{next(new_cids):05d}" if cid_keyed else None
            name = cid_name or _unique_name(glyph_name(cp), taken)
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


def finish_tables(
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
