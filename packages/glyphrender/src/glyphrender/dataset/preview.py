"""Contact sheets of a dataset's samples (``glyphrender preview``).

Each cell shows the source glyph and, for paired splits, the target glyph to its right,
drawn black on white, with the code point (and the character, drawn with the dataset's own
source font when it can still be opened) underneath. A header names the columns: a line
with the split and the fonts, then ``source`` / ``target`` above each column of glyphs.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from glyphrender.atomic import save_png_atomic
from glyphrender.dataset.shards import PAIRED_SPLITS, Dataset
from glyphrender.errors import DatasetError

DEFAULT_COUNT = 24
DEFAULT_CELL_PX = 128  # glyph thumbnails are scaled to at most this size
GAP = 6


def choose_samples(total: int, count: int, seed: int) -> list[int]:
    """``count`` distinct sample positions drawn with ``seed``, sorted (all if fewer)."""
    if count >= total:
        return list(range(total))
    return sorted(random.Random(seed).sample(range(total), count))


def _label_font(dataset: Dataset, size: int):
    src = dataset.source_font
    try:
        return ImageFont.truetype(src.path, size, index=src.face_index), True
    except (OSError, ValueError):
        return ImageFont.load_default(), False


def column_labels(split: str) -> list[str]:
    """The label above each glyph of a cell: ``source`` (and ``target`` for a paired split)."""
    return ["source", "target"] if split in PAIRED_SPLITS else ["source"]


def sheet_title(dataset: Dataset, split: str, shown: int) -> str:
    """The header line: split, how many of its samples, and which font each column is."""
    title = f"{split} split, {shown} of {dataset.count(split)}: source {dataset.source_font.name}"
    if split not in PAIRED_SPLITS:
        return title
    targets = dataset.target_fonts
    target = targets[0].name if len(targets) == 1 else "the style sN under each pair"
    return f"{title} | target {target}"


def header_line_px(label_px: int) -> int:
    """Height of one header line: CJK fonts reach well above and below their size."""
    return label_px * 3 // 2 + 2


def _draw_header(draw, dataset: Dataset, split: str, shown: int, geometry, font) -> None:
    """The title line, then the column labels above the first row of cells."""
    cols, cell_w, thumb, label_px = geometry
    draw.text((GAP, 2), sheet_title(dataset, split, shown), fill=0, font=font)
    y = 2 + header_line_px(label_px)
    for c in range(cols):
        x = GAP + c * (cell_w + GAP)
        for j, label in enumerate(column_labels(split)):
            draw.text((x + j * (thumb + 2), y), label, fill=90, font=font)


def contact_sheet(
    dataset: Dataset,
    split: str = "val",
    count: int = DEFAULT_COUNT,
    seed: int = 0,
    cell_px: int = DEFAULT_CELL_PX,
    columns: int | None = None,
) -> Image.Image:
    """The sheet as an 8-bit grayscale image."""
    total = dataset.count(split)
    if total == 0:
        raise DatasetError(f"{dataset.path}: the {split!r} split is empty; nothing to preview")
    indices = choose_samples(total, count, seed)
    batch = dataset.read_samples(split, indices)
    paired = split in PAIRED_SPLITS
    thumb = min(cell_px, dataset.glyph_px)
    label_px = max(12, thumb // 6)
    font, cjk = _label_font(dataset, label_px)
    per_cell = 2 if paired else 1
    cell_w = per_cell * thumb + (per_cell - 1) * 2
    cell_h = thumb + label_px + 8
    header_h = 2 + 2 * header_line_px(label_px)  # title line + column labels
    n = len(batch)
    cols = columns or max(1, min(n, (1024 if paired else 1024) // (cell_w + GAP)))
    rows = (n + cols - 1) // cols
    height = header_h + rows * (cell_h + GAP) + GAP
    title_w = int(font.getlength(sheet_title(dataset, split, n))) + 2 * GAP
    sheet = Image.new("L", (max(cols * (cell_w + GAP) + GAP, title_w), height), 255)
    draw = ImageDraw.Draw(sheet)
    _draw_header(draw, dataset, split, n, (cols, cell_w, thumb, label_px), font)
    for k in range(n):
        x = GAP + (k % cols) * (cell_w + GAP)
        y = header_h + GAP + (k // cols) * (cell_h + GAP)
        images = [batch.source[k]] + ([batch.target[k]] if paired else [])
        for j, img in enumerate(images):
            tile = Image.fromarray(255 - np.asarray(img, np.uint8), "L")
            if thumb != tile.width:
                tile = tile.resize((thumb, thumb), Image.Resampling.LANCZOS)
            sheet.paste(tile, (x + j * (thumb + 2), y))
            draw.rectangle(
                [x + j * (thumb + 2), y, x + j * (thumb + 2) + thumb - 1, y + thumb - 1],
                outline=200,
            )
        cp = int(batch.codepoint[k])
        style = int(batch.style[k])
        text = f"U+{cp:04X}" + (f" {chr(cp)}" if cjk else "")
        if dataset.num_styles > 1:
            text += f" s{style}"
        draw.text((x, y + thumb + 3), text, fill=0, font=font)
    return sheet


def write_preview(
    dataset: Dataset,
    out: Path,
    split: str = "val",
    count: int = DEFAULT_COUNT,
    seed: int = 0,
    cell_px: int = DEFAULT_CELL_PX,
) -> Path:
    """Draw the sheet and write it as PNG through a temporary name in the same directory."""
    out = Path(out)
    sheet = contact_sheet(dataset, split, count, seed, cell_px)
    return save_png_atomic(sheet, out, "the preview")
