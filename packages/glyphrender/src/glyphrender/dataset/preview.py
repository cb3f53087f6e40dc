"""Contact sheets of a dataset's samples (``glyphrender preview``).

Each cell shows the source glyph and, for paired splits, the target glyph to its right,
drawn black on white, with the code point (and the character, drawn with the dataset's own
source font when it can still be opened) underneath.
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
    n = len(batch)
    cols = columns or max(1, min(n, (1024 if paired else 1024) // (cell_w + GAP)))
    rows = (n + cols - 1) // cols
    sheet = Image.new("L", (cols * (cell_w + GAP) + GAP, rows * (cell_h + GAP) + GAP), 255)
    draw = ImageDraw.Draw(sheet)
    for k in range(n):
        x = GAP + (k % cols) * (cell_w + GAP)
        y = GAP + (k // cols) * (cell_h + GAP)
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
