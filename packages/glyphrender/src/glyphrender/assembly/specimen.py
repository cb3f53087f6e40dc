"""Specimens: lines of text set in a font, drawn by glyphrender's own renderer.

Each character is rasterised by :class:`~glyphrender.rendering.render.GlyphRenderer` with the font's
em box fitted to ``size`` pixels (the same placement as ``glyphrender build`` with no margin)
and the pen advances by the glyph's advance width (``hmtx``), horizontally only: no kerning,
no shaping. Characters in a highlight set (e.g. the ones ``zi2zi generate`` added) are drawn
in another colour; characters the font does not map are drawn as an empty box and reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from glyphrender.atomic import save_png_atomic
from glyphrender.errors import GlyphrenderError
from glyphrender.fonts.charsets import compose
from glyphrender.fonts.loading import LoadedFont
from glyphrender.rendering.placement import Placement, em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions
from glyphrender.rendering.transform import Transform

DEFAULT_SIZE = 64
PAPER = (255, 255, 255)
INK = (0, 0, 0)
HIGHLIGHT = (214, 39, 40)  # red: readable on white, distinct from black in greyscale too
REPLACED = (31, 119, 180)  # blue: replaced glyphs, told apart from added (red) ones
MISSING = (160, 160, 160)
CAPTION = (90, 90, 90)
LINE_SPACING = 1.25  # line height in ems
WHITESPACE_ADVANCE = 0.33  # ems, for a space the font does not map


@dataclass(frozen=True)
class Specimen:
    """A drawn specimen and what it found: ``missing`` lists the distinct characters the font
    lacks (first-appearance order); ``highlighted`` counts highlighted characters drawn,
    ``replaced`` those of them tinted as replaced."""

    image: Image.Image
    characters: int
    highlighted: int
    missing: tuple[int, ...]
    replaced: int = 0


def unescape_text(text: str) -> str:
    """``\\n`` typed in a shell's quoted string becomes a line break (``\\\\`` a backslash)."""
    return re.sub(r"\\(\\|n)", lambda m: "\n" if m.group(1) == "n" else "\\", text)


def added_characters(
    font: LoadedFont, generated: Iterable[int], base: LoadedFont
) -> frozenset[int]:
    """The generated characters that ``font`` has and ``base`` (the font assemble extended)
    lacks: what assembling added. Characters the base already had stay untinted."""
    return frozenset(int(c) for c in generated if int(c) in font.cmap and int(c) not in base.cmap)


def replaced_characters(
    font: LoadedFont, generated: Iterable[int], base: LoadedFont, accepted: Iterable[int]
) -> frozenset[int]:
    """The generated characters the base already had and the review accepted: the glyphs
    assembling replaced (``assemble`` replaces only accepted replacement candidates)."""
    kept = frozenset(int(c) for c in accepted)
    return frozenset(
        int(c) for c in generated if int(c) in kept and int(c) in base.cmap and int(c) in font.cmap
    )


def text_lines(text: str) -> list[str]:
    """Lines of ``text`` (``\\n``, ``\\r\\n``), trailing blank lines dropped; each character
    composed with the marks typed after it (か + U+3099 is が), as generate's --chars is."""
    lines = compose(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _advance_units(font: LoadedFont) -> dict[str, int]:
    hmtx = font.ttfont()["hmtx"]
    return {name: int(hmtx[name][0]) for name in set(font.cmap.values())}


def _caption_font(px: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=px)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


@dataclass(frozen=True)
class _Layout:
    """Where each character goes: per line, (pen x in px, code point, kind)."""

    lines: list[list[tuple[int, int, str]]]
    width: int  # of the widest line, px
    missing: tuple[int, ...]


def _lay_out(
    font: LoadedFont,
    lines: Sequence[str],
    size: int,
    scale: float,
    tinted: tuple[frozenset[int], frozenset[int]],
) -> _Layout:
    """Pen positions (rounded to whole pixels, not accumulated) and the kind of each
    character: "ink", "highlight", "replaced", "space" or "missing"."""
    wanted, replaced = tinted
    advances = _advance_units(font)
    placed_lines: list[list[tuple[int, int, str]]] = []
    widths = []
    missing: dict[int, None] = {}
    for line in lines:
        pen, placed = 0.0, []
        for ch in line:
            cp = ord(ch)
            name = font.cmap.get(cp)
            if name is not None:
                kind = "replaced" if cp in replaced else "highlight" if cp in wanted else "ink"
                advance = advances.get(name, font.units_per_em) * scale
            elif ch.isspace():
                kind, advance = "space", WHITESPACE_ADVANCE * size
            else:
                kind, advance = "missing", float(size)
                missing.setdefault(cp)
            placed.append((round(pen), cp, kind))
            pen += advance
        placed_lines.append(placed)
        widths.append(round(pen))
    return _Layout(placed_lines, max(widths), tuple(missing))


@dataclass
class _Canvas:
    """Coverage layers (black ink, highlighted ink, replaced ink) and the boxes of missing
    characters."""

    ink: np.ndarray
    lit: np.ndarray
    swapped: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    drawn: int = 0
    highlighted: int = 0
    replaced: int = 0


def _draw(renderer: GlyphRenderer, layout: _Layout, size: int, pad: int) -> _Canvas:
    line_h = round(size * LINE_SPACING)
    cell_w = 2 * size + pad  # glyph cells are 2 em wide with the pen at `pad`
    width = layout.width + 2 * pad
    height = len(layout.lines) * line_h + 2 * (pad // 2)
    ink = np.zeros((height, width + cell_w), np.uint8)  # extra room for the last cell
    canvas = _Canvas(ink, np.zeros_like(ink), np.zeros_like(ink), [])
    for row, placed in enumerate(layout.lines):
        top = pad // 2 + row * line_h
        for x, cp, kind in placed:
            if kind == "space":
                continue
            canvas.drawn += 1
            if kind == "missing":
                inset = max(1, size // 10)
                y0 = top + (line_h - size) // 2
                canvas.boxes.append(
                    (pad + x + inset, y0 + inset, pad + x + size - inset, y0 + size - inset)
                )
                continue
            cell = np.zeros((line_h, cell_w), np.uint8)
            renderer.render_into(cp, cell)  # ink beyond the cell is dropped: a specimen, not data
            layer = {"highlight": canvas.lit, "replaced": canvas.swapped}.get(kind, canvas.ink)
            canvas.highlighted += kind in ("highlight", "replaced")
            canvas.replaced += kind == "replaced"
            region = layer[top : top + line_h, x : x + cell_w]
            np.maximum(region, cell[: region.shape[0], : region.shape[1]], out=region)
    canvas.ink, canvas.lit = canvas.ink[:, :width], canvas.lit[:, :width]
    canvas.swapped = canvas.swapped[:, :width]
    return canvas


def _to_image(canvas: _Canvas, size: int) -> Image.Image:
    """Paper, black ink, then highlighted and replaced ink over it; grey frames for missing
    characters."""
    rgb = np.empty((*canvas.ink.shape, 3), np.float32)
    rgb[...] = PAPER
    layers = ((canvas.ink, INK), (canvas.lit, HIGHLIGHT), (canvas.swapped, REPLACED))
    for layer, colour in layers:
        alpha = layer[..., None].astype(np.float32) / 255.0
        rgb = rgb * (1 - alpha) + np.asarray(colour, np.float32) * alpha
    image = Image.fromarray(np.rint(rgb).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for box in canvas.boxes:
        draw.rectangle(box, outline=MISSING, width=max(1, size // 32))
    return image


def render_specimen(
    font: LoadedFont,
    lines: Sequence[str],
    size: int = DEFAULT_SIZE,
    highlight: Iterable[int] = (),
    caption: str | None = None,
    replaced: Iterable[int] = (),
) -> Specimen:
    """Draw ``lines`` set in ``font`` at ``size`` px per em as an RGB image.

    Black ink on white; characters in ``highlight`` in :data:`HIGHLIGHT`, in ``replaced`` in
    :data:`REPLACED` (both count as highlighted); characters the font
    does not map as a grey box one em wide. ``caption`` (if given) is written underneath.
    """
    if not any(ch.strip() for line in lines for ch in line):
        raise GlyphrenderError("the specimen text is empty")
    options = RenderOptions(glyph_px=size, placement=Placement.FONT, margin=0.0)
    base = font_transform(em_box(font), size, margin=0.0)
    line_h = round(size * LINE_SPACING)
    pad = size // 2  # room left of the pen for glyphs that overhang their origin
    # The em box sits centred in the line; the pen starts at `pad` in each glyph cell.
    transform = Transform(base.scale, pad, base.y_offset + (line_h - size) / 2)
    renderer = GlyphRenderer(font.sfnt_bytes, transform, options, name=str(font.path))
    tinted = (frozenset(int(c) for c in highlight), frozenset(int(c) for c in replaced))
    layout = _lay_out(font, lines, size, base.scale, tinted)
    canvas = _draw(renderer, layout, size, pad)
    image = _to_image(canvas, size)
    if caption:
        image = _with_caption(image, caption, max(12, size // 4))
    return Specimen(image, canvas.drawn, canvas.highlighted, layout.missing, canvas.replaced)


def _with_caption(image: Image.Image, caption: str, px: int) -> Image.Image:
    font = _caption_font(px)
    probe = ImageDraw.Draw(image)
    left, top, right, bottom = probe.textbbox((0, 0), caption, font=font)
    margin = px
    out = Image.new(
        "RGB",
        (max(image.width, right - left + 2 * margin), image.height + bottom - top + margin),
        PAPER,
    )
    out.paste(image, (0, 0))
    ImageDraw.Draw(out).text((margin - left, image.height - top), caption, fill=CAPTION, font=font)
    return out


def write_png(image: Image.Image, out: Path) -> Path:
    """Write ``image`` as PNG through a temporary name in the same directory, then rename."""
    return save_png_atomic(image, out, "the specimen")
