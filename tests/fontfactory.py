"""Small test fonts built with fontTools' FontBuilder (no real fonts needed by unit tests).

A glyph's shape is a list of parts in font units (UPM 1000, baseline y=0, ascender 880,
descender -120): a part is a rectangle ``(x0, y0, x1, y1)`` (drawn clockwise, filled) or a
polygon ``[(x, y), ...]`` (drawn in the given order; give holes the opposite direction, see
`frame`). An empty list makes a mapped glyph without contours. `NOTDEF` maps the character
to `.notdef` itself (fontTools' cmap compiler drops such mappings, as in real fonts);
`NOTDEF_COPY` maps it to a separate glyph with `.notdef`'s outline.

    make_font(path, {0x4E00: [(100, 400, 900, 500)]}, flavor="otf")
    make_font(path, standard_glyphs(40, stroke=90))   # 40 distinct CJK glyphs, thick strokes
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Union

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont

Rect = tuple[float, float, float, float]
Polygon = Sequence[tuple[float, float]]
Shape = Sequence[Union[Rect, Polygon]]  # noqa: UP007 - runtime alias on Python 3.10

NOTDEF = "NOTDEF"  # map the character straight to .notdef
NOTDEF_COPY = "NOTDEF_COPY"  # map it to a separate glyph drawing .notdef's outline

UPM = 1000
ASCENDER = 880
DESCENDER = -120
ADVANCE = 1000

FIRST_CP = 0x4E00
EMPTY_CP = 0x9FA0  # mapped, no contours (in standard_fonts)
NOTDEF_CP = 0x9FA1  # mapped to .notdef
NOTDEF_COPY_CP = 0x9FA2  # mapped to a copy of .notdef


def frame(x0: float, y0: float, x1: float, y1: float, t: float) -> list[Polygon]:
    """A hollow box of stroke `t`: outer contour clockwise, inner counter-clockwise."""
    outer = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
    inner = [(x0 + t, y0 + t), (x1 - t, y0 + t), (x1 - t, y1 - t), (x0 + t, y1 - t)]
    return [outer, inner]


TOFU = frame(50, -50, 450, 750, 40)  # the .notdef "tofu" box


def standard_shapes(stroke: float = 60) -> list[Shape]:
    """Distinct shapes (bars, boxes, crosses, boxes of various sizes and positions)."""
    s = stroke
    shapes: list[Shape] = [
        [(100, 380 - s / 2, 900, 380 + s / 2)],  # horizontal bar
        [(500 - s / 2, -80, 500 + s / 2, 840)],  # vertical bar
        frame(100, -50, 900, 810, s),  # box
        [(100, 380 - s / 2, 900, 380 + s / 2), (500 - s / 2, -80, 500 + s / 2, 840)],  # cross
        [(100, 200, 900, 200 + s), (100, 600, 900, 600 + s)],  # two bars
        [(300 - s / 2, 0, 300 + s / 2, 800), (700 - s / 2, 0, 700 + s / 2, 800)],  # two posts
        [[(100, -80), (900, 840), (900 - 1.4 * s, 840), (100 - 1.4 * s, -80)]],  # diagonal
    ]
    # Filled boxes of different sizes at different places, so placement is visible.
    for i in range(6):
        for j in range(5):
            size = 120 + 60 * ((i + j) % 4)
            x0 = 60 + i * 130
            y0 = -100 + j * 170
            shapes.append([(x0, y0, min(x0 + size, 960), min(y0 + size, 860))])
    return shapes


def standard_glyphs(count: int = 40, stroke: float = 60, first: int = FIRST_CP) -> dict[int, Shape]:
    """`count` consecutive codepoints from `first`, each with a different shape."""
    shapes = standard_shapes(stroke)
    if count > len(shapes):
        # More codepoints than base shapes: shift copies so every glyph stays distinct.
        extra = []
        k = 0
        while len(shapes) + len(extra) < count:
            base = shapes[3 + k % (len(shapes) - 3)]
            dy = 10 * (k // (len(shapes) - 3) + 1)
            extra.append([_shift(part, 0, -dy) for part in base])
            k += 1
        shapes = shapes + extra
    return {first + i: shapes[i] for i in range(count)}


def _shift(part: Rect | Polygon, dx: float, dy: float) -> Rect | Polygon:
    if _is_rect(part):
        x0, y0, x1, y1 = part  # type: ignore[misc]
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    return [(x + dx, y + dy) for x, y in part]  # type: ignore[misc]


def _is_rect(part: object) -> bool:
    return (
        isinstance(part, tuple)
        and len(part) == 4
        and all(isinstance(v, (int, float)) for v in part)
    )


def _draw(pen, shape: Shape) -> None:
    for part in shape:
        if _is_rect(part):
            x0, y0, x1, y1 = part  # type: ignore[misc]
            points = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]  # clockwise
        else:
            points = list(part)  # type: ignore[arg-type]
        pen.moveTo(points[0])
        for pt in points[1:]:
            pen.lineTo(pt)
        pen.closePath()


def build_ttfont(
    glyphs: Mapping[int, Shape | str],
    flavor: str = "ttf",
    family: str = "Test Glyphs",
    style: str = "Regular",
    notdef: Shape | None = None,
    cmap: bool = True,
) -> TTFont:
    """A TTFont (glyf for "ttf", CFF for "otf") mapping each codepoint to its shape.

    `notdef`: the .notdef outline (default: the TOFU box; [] for an empty .notdef).
    """
    if flavor not in ("ttf", "otf"):
        raise ValueError(f"flavor must be 'ttf' or 'otf', got {flavor!r}")
    notdef_shape = TOFU if notdef is None else notdef
    order = [".notdef"]
    shapes: dict[str, Shape] = {".notdef": notdef_shape}
    mapping: dict[int, str] = {}
    for cp, shape in sorted(glyphs.items()):
        if shape == NOTDEF:
            mapping[cp] = ".notdef"
            continue
        name = f"uni{cp:04X}" if cp <= 0xFFFF else f"u{cp:05X}"
        shapes[name] = notdef_shape if shape == NOTDEF_COPY else shape  # type: ignore[assignment]
        order.append(name)
        mapping[cp] = name
    fb = FontBuilder(UPM, isTTF=flavor == "ttf")
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(mapping)
    if flavor == "ttf":
        drawn = {}
        for name in order:
            pen = TTGlyphPen(None)
            _draw(pen, shapes[name])
            drawn[name] = pen.glyph()
        fb.setupGlyf(drawn)
    else:
        charstrings = {}
        for name in order:
            pen = T2CharStringPen(ADVANCE, None)
            _draw(pen, shapes[name])
            charstrings[name] = pen.getCharString()
        ps_name = f"{family}-{style}".replace(" ", "")
        fb.setupCFF(ps_name, {"FullName": f"{family} {style}"}, charstrings, {})
    fb.setupHorizontalMetrics({name: (ADVANCE, 0) for name in order})
    fb.setupHorizontalHeader(ascent=ASCENDER, descent=DESCENDER)
    fb.setupNameTable({"familyName": family, "styleName": style})
    fb.setupOS2(
        sTypoAscender=ASCENDER,
        sTypoDescender=DESCENDER,
        sTypoLineGap=0,
        usWinAscent=ASCENDER,
        usWinDescent=-DESCENDER,
        sxHeight=500,
        sCapHeight=700,
    )
    fb.setupPost()
    font = fb.font
    if not cmap:
        del font["cmap"]
    return font


def make_font(
    path: str | Path,
    glyphs: Mapping[int, Shape | str],
    flavor: str = "ttf",
    family: str = "Test Glyphs",
    style: str = "Regular",
    notdef: Shape | None = None,
    cmap: bool = True,
) -> Path:
    """Write a font file with the given glyphs; see `build_ttfont`. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_ttfont(glyphs, flavor, family, style, notdef, cmap).save(str(path))
    return path


def standard_font_glyphs(count: int = 40, stroke: float = 60) -> dict[int, Shape | str]:
    """`standard_glyphs` plus an empty glyph, a .notdef mapping and a .notdef copy."""
    glyphs: dict[int, Shape | str] = dict(standard_glyphs(count, stroke))
    glyphs[EMPTY_CP] = []
    glyphs[NOTDEF_CP] = NOTDEF
    glyphs[NOTDEF_COPY_CP] = NOTDEF_COPY
    return glyphs


def make_collection(path: str | Path, fonts: Sequence[str | Path]) -> Path:
    """A TTC/OTC holding the given font files as faces 0, 1, ..."""
    path = Path(path)
    collection = TTCollection()
    collection.fonts = [TTFont(str(f)) for f in fonts]
    collection.save(str(path))
    return path


REGIONAL_PUA = 0xF0000  # where make_regional_collection parks the regional glyphs' names


def make_regional_collection(
    path: str | Path,
    shared: Mapping[int, Shape],
    regional: Mapping[int, tuple[Shape | None, Shape | None]],
    flavor: str = "otf",
    families: tuple[str, str] = ("Pan JP", "Pan TC"),
) -> Path:
    """A two-face collection built like Noto Sans CJK: both faces hold one glyph table
    (stored once in the file) and differ only in their cmaps. ``shared`` characters map to
    the same glyph in both faces; ``regional`` ones to face 0's and face 1's own glyph (a
    ``None`` shape: that face does not map the character)."""
    glyphs: dict[int, Shape] = dict(shared)
    variants: dict[int, tuple[str | None, str | None]] = {}
    for i, (cp, shapes) in enumerate(sorted(regional.items())):
        names: list[str | None] = []
        for face, shape in enumerate(shapes):
            if shape is None:
                names.append(None)
                continue
            park = REGIONAL_PUA + 2 * i + face
            glyphs[park] = shape
            names.append(f"u{park:05X}")
        variants[cp] = (names[0], names[1])
    faces = []
    for face, family in enumerate(families):
        # One family name inside the outline table (CFF holds it) so that it is shared;
        # the faces are told apart by their name tables.
        font = build_ttfont(glyphs, flavor, family="Pan")
        for record in font["name"].names:
            if record.nameID in (1, 4):
                record.string = record.toUnicode().replace("Pan", family)
        for table in font["cmap"].tables:
            mapping = {cp: n for cp, n in table.cmap.items() if cp < REGIONAL_PUA}
            mapping.update({cp: v[face] for cp, v in variants.items() if v[face] is not None})
            table.cmap = mapping
        faces.append(TTFont(io.BytesIO(font_bytes(font))))
    path = Path(path)
    collection = TTCollection()
    collection.fonts = faces
    collection.save(str(path), shareTables=True)
    return path


def make_woff(path: str | Path, font_path: str | Path, flavor: str = "woff") -> Path:
    """A WOFF ("woff") or WOFF2 ("woff2") copy of a font file."""
    path = Path(path)
    font = TTFont(str(font_path))
    font.flavor = flavor
    font.save(str(path))
    return path


def make_truncated(path: str | Path, font_path: str | Path, keep: float = 0.5) -> Path:
    """The first `keep` fraction of a font file's bytes."""
    path = Path(path)
    data = Path(font_path).read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def make_text_file(path: str | Path) -> Path:
    """A text file (named like a font, e.g. fake.ttf)."""
    path = Path(path)
    path.write_text("this is not a font\n")
    return path


def make_font_without_unicode_cmap(path: str | Path) -> Path:
    """A font whose only cmap subtable is Mac Roman (no Unicode mapping)."""
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    font = build_ttfont({0x41: [(100, 0, 500, 700)]})
    sub = CmapSubtable.newSubtable(0)
    sub.platformID, sub.platEncID, sub.language = 1, 0, 0
    sub.cmap = {0x41: "uni0041"}
    font["cmap"].tables = [sub]
    path = Path(path)
    font.save(str(path))
    return path


class FontFactory:
    """Makes test fonts inside one directory (the `font_factory` fixture)."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.dir / name

    def font(self, name: str, glyphs: Mapping[int, Shape | str], **kwargs) -> Path:
        """`make_font` into this directory."""
        return make_font(self.dir / name, glyphs, **kwargs)

    def standard(self, name: str = "std.ttf", flavor: str = "ttf", **kwargs) -> Path:
        """40 distinct CJK glyphs + an empty glyph + a .notdef mapping + a .notdef copy."""
        count = kwargs.pop("count", 40)
        stroke = kwargs.pop("stroke", 60)
        glyphs = standard_font_glyphs(count, stroke)
        return make_font(self.dir / name, glyphs, flavor=flavor, **kwargs)

    def pair(self, src_count: int = 40, dst_count: int = 30) -> tuple[Path, Path]:
        """A source font with `src_count` chars and a target with the first `dst_count` of them
        drawn with thicker strokes and a different family name."""
        src = make_font(self.dir / "src.ttf", standard_glyphs(src_count, 60), family="Src Sans")
        dst = make_font(self.dir / "dst.ttf", standard_glyphs(dst_count, 110), family="Dst Round")
        return src, dst

    def collection(self, name: str = "pair.ttc") -> Path:
        a = self.standard("face0.ttf", family="Face Zero", style="Regular")
        b = self.standard("face1.ttf", family="Face One", style="Bold", stroke=100)
        return make_collection(self.dir / name, [a, b])

    def woff(self, name: str = "std.woff", flavor: str = "woff") -> Path:
        return make_woff(self.dir / name, self.standard(f"{name}.src.ttf"), flavor)

    def truncated(self, name: str = "truncated.ttf") -> Path:
        return make_truncated(self.dir / name, self.standard(f"{name}.src.ttf"))

    def text_file(self, name: str = "fake.ttf") -> Path:
        return make_text_file(self.dir / name)

    def without_cmap(self, name: str = "nocmap.ttf") -> Path:
        return make_font(self.dir / name, standard_glyphs(3), cmap=False)

    def without_unicode_cmap(self, name: str = "maccmap.ttf") -> Path:
        return make_font_without_unicode_cmap(self.dir / name)


def font_bytes(font: TTFont) -> bytes:
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()
