"""Review sheets: rows of source | generated | target glyphs with a label, as one PNG.

Glyphs are drawn black ink on white (255 - coverage), as a reader of a font expects. Labels use
Pillow's built-in font, which has no CJK glyphs, so a row names its character by code point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

COLUMNS = ("source", "generated", "target")
GAP = 4  # pixels between tiles
LABEL_W = 220  # width of the label column
LINE_H = 14  # height of one text line of the built-in font
MIN_COL_W = 64  # room for a column name under small glyphs


@dataclass(frozen=True)
class ReviewRow:
    """One row of a sheet: a label and the three (H, W) uint8 coverage images."""

    label: str
    source: np.ndarray
    generated: np.ndarray
    target: np.ndarray


def _tile(coverage: np.ndarray) -> Image.Image:
    return Image.fromarray(255 - np.asarray(coverage, dtype=np.uint8), mode="L")


def review_sheet(sections: Sequence[tuple[str, Sequence[ReviewRow]]]) -> Image.Image:
    """Draw titled sections of rows into one greyscale image.

    Each section starts with its title and the column names; rows follow, each with its label
    on the left and thin grey frames around the tiles so that blank glyphs are still visible.
    """
    rows = [row for _, section in sections for row in section]
    px = rows[0].source.shape[0] if rows else 32
    row_h = max(px, 2 * LINE_H) + GAP
    header_h = 2 * LINE_H + GAP
    col_w = max(px, MIN_COL_W) + GAP
    width = LABEL_W + len(COLUMNS) * col_w + GAP
    height = GAP + sum(header_h + len(section) * row_h for _, section in sections)
    sheet = Image.new("L", (width, max(height, header_h)), 255)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    y = GAP
    for title, section in sections:
        draw.text((GAP, y), title, fill=0, font=font)
        for c, name in enumerate(COLUMNS):
            draw.text((LABEL_W + c * col_w, y + LINE_H), name, fill=96, font=font)
        y += header_h
        for row in section:
            for line_no, line in enumerate(row.label.split("\n")[:2]):
                draw.text((GAP, y + line_no * LINE_H), line, fill=0, font=font)
            for c, image in enumerate((row.source, row.generated, row.target)):
                x = LABEL_W + c * col_w
                sheet.paste(_tile(image), (x, y))
                draw.rectangle((x - 1, y - 1, x + px, y + px), outline=192)
            y += row_h
    return sheet
