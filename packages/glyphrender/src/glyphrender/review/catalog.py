"""What the review page shows: every generated glyph, its source, the target font's own glyphs.

Images are read from ``glyphs.h5`` one at a time when the page asks for them (a folder of
9,912 glyphs of 256 px holds 650 MB of pixels), and the generated glyph shown is the one
``glyphrender assemble`` would use: the edited PNG where there is one.
"""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from glyphrender.errors import DatasetError, GlyphrenderError
from glyphrender.generated.folder import (
    GLYPHS_NAME,
    GeneratedMeta,
    edited_pngs,
    png_name,
    read_generated,
    read_source_fonts,
    read_sources,
)
from glyphrender.metrics import INK_LEVEL, ink_iou

STATS_CHUNK = 256  # glyphs read at once while measuring
# Characters shown beside the generated ones when the target font has them: common, with
# strokes of every direction.
CONTEXT_PREFERENCE = "永國東的愛書說鬱人中"
CONTEXT_COUNT = 4


@dataclass(frozen=True)
class GlyphStats:
    """Quality proxies of one generated glyph (what the page sorts and filters by)."""

    codepoint: int
    ink: float  # inked fraction of the canvas (coverage >= half)
    disagreement: float | None  # 1 - ink IoU with the source glyph; None without a source
    edited: bool  # its PNG was edited and is what assemble will use


def png_of(coverage: np.ndarray, tint: tuple[int, int, int] | None = None) -> bytes:
    """A coverage image as PNG bytes: black (or ``tint``) ink on white."""
    if tint is None:
        image = Image.fromarray(255 - coverage, "L")
    else:
        alpha = coverage[..., None].astype(np.float32) / 255.0
        rgb = 255 * (1 - alpha) + np.asarray(tint, np.float32) * alpha
        image = Image.fromarray(np.rint(rgb).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ReviewCatalog:
    """The glyphs of one generated folder, with sources and the target font for context."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        base_font: str | os.PathLike[str] | None = None,
        dataset_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.meta, _, codepoints = read_generated(self.folder, images=False)
        self.codepoints = [int(c) for c in codepoints.tolist()]
        self.index = {cp: i for i, cp in enumerate(self.codepoints)}
        self._lock = threading.Lock()  # h5py handles and FreeType faces are not thread-safe
        with h5py.File(self.folder / GLYPHS_NAME, "r") as f:
            self.edited, _ = edited_pngs(self.folder, f["image"], codepoints, self.meta.glyph_px)
        self.sources = self._load_sources(dataset_dir)
        self.origin = read_source_fonts(self.folder)  # which font drew each source (or None)
        target = _target_renderer(self.meta, base_font)
        self.renderer, self.base_cmap, self.base_name, mapped = target
        # Replacement candidates: generated characters the target font already maps (the rule
        # assemble applies: accepted, they replace the target's glyph; otherwise it stays).
        self.replacements = frozenset(cp for cp in self.codepoints if cp in mapped)
        self.context = _context_codepoints(self.base_cmap)
        self.stats = self._measure()

    # --- loading ---------------------------------------------------------------------------

    def _load_sources(self, dataset_dir: str | os.PathLike[str] | None) -> np.ndarray | None:
        """Stored sources, or (``dataset_dir``) rendered as the dataset's shards were."""
        stored = read_sources(self.folder)
        if stored is not None or dataset_dir is None:
            return stored
        from glyphrender.dataset.rerender import render_for_dataset
        from glyphrender.dataset.shards import Dataset
        from glyphrender.generated.provenance import check_dataset

        check_dataset(self.meta, Path(dataset_dir), self.folder)
        return render_for_dataset(Dataset.open(dataset_dir), self.codepoints, role="source")

    def _measure(self) -> list[GlyphStats]:
        stats: list[GlyphStats] = []
        with h5py.File(self.folder / GLYPHS_NAME, "r") as f:
            images = f["image"]
            for start in range(0, len(self.codepoints), STATS_CHUNK):
                chunk = images[start : start + STATS_CHUNK]
                for offset in range(len(chunk)):
                    if start + offset in self.edited:
                        chunk[offset] = self.edited[start + offset]
                ink = (chunk >= INK_LEVEL).mean(axis=(1, 2))
                disagreement = None
                if self.sources is not None:
                    sources = self.sources[start : start + len(chunk)]
                    disagreement = 1.0 - ink_iou(chunk, sources)
                for offset, cp in enumerate(self.codepoints[start : start + len(chunk)]):
                    stats.append(
                        GlyphStats(
                            codepoint=cp,
                            ink=round(float(ink[offset]), 4),
                            disagreement=None
                            if disagreement is None
                            else round(float(disagreement[offset]), 4),
                            edited=start + offset in self.edited,
                        )
                    )
        return stats

    # --- images ----------------------------------------------------------------------------

    def generated(self, codepoint: int) -> np.ndarray:
        """The generated glyph as assemble will use it (edited PNG, else glyphs.h5)."""
        i = self._position(codepoint)
        if i in self.edited:
            return self.edited[i]
        with self._lock, h5py.File(self.folder / GLYPHS_NAME, "r") as f:
            return f["image"][i]

    def generated_png(self, codepoint: int) -> bytes:
        i = self._position(codepoint)
        path = self.folder / png_name(codepoint)
        if i not in self.edited and path.is_file():
            return path.read_bytes()  # the PNG as written: no need to encode it again
        return png_of(self.generated(codepoint))

    def source(self, codepoint: int) -> np.ndarray | None:
        if self.sources is None:
            return None
        return self.sources[self._position(codepoint)]

    def target(self, codepoint: int) -> np.ndarray | None:
        """The target font's own glyph, placed like the generated ones; None if it lacks it."""
        if self.renderer is None or codepoint not in self.base_cmap:
            return None
        with self._lock:
            canvas, _ = self.renderer.render(codepoint)
        return canvas

    def _position(self, codepoint: int) -> int:
        try:
            return self.index[codepoint]
        except KeyError:
            raise DatasetError(f"{self.folder}: holds no glyph U+{codepoint:04X}") from None


def _target_renderer(
    meta: GeneratedMeta, base_font: str | os.PathLike[str] | None
) -> tuple[object | None, frozenset[int], str | None, frozenset[int]]:
    """(renderer, drawn code points, display name, mapped code points) of the target font,
    placed like the generated glyphs. Without ``base_font`` the path recorded by generate is
    tried; a font that cannot be found leaves the page without context glyphs (and without
    replacement candidates)."""
    from glyphrender.fonts.loading import open_font, present_codepoints
    from glyphrender.rendering.render import GlyphRenderer, RenderOptions

    path = base_font if base_font is not None else meta.target_font_path
    if base_font is None and not Path(path).is_file():
        return None, frozenset(), None, frozenset()
    try:
        font = open_font(path)
    except GlyphrenderError:
        if base_font is not None:
            raise
        return None, frozenset(), None, frozenset()
    options = RenderOptions(glyph_px=meta.glyph_px, placement=meta.placement)
    renderer = GlyphRenderer(font.sfnt_bytes, meta.transform, options, name=str(font.path))
    return renderer, present_codepoints(font), font.display_name, frozenset(font.cmap)


def _context_codepoints(drawn: frozenset[int]) -> list[int]:
    """A few of the target font's own characters to show beside each generated glyph."""
    chosen = [ord(c) for c in CONTEXT_PREFERENCE if ord(c) in drawn][:CONTEXT_COUNT]
    if len(chosen) < CONTEXT_COUNT:
        cjk = sorted(cp for cp in drawn if 0x4E00 <= cp <= 0x9FFF) or sorted(drawn)
        step = max(1, len(cjk) // CONTEXT_COUNT)
        chosen += [cp for cp in cjk[::step] if cp not in chosen][: CONTEXT_COUNT - len(chosen)]
    return chosen


HIGHLIGHT = (214, 39, 40)  # the specimen's red: generated characters in a line of text
MAX_LINE_CHARS = 40


def line_png(catalog: ReviewCatalog, text: str) -> bytes:
    """``text`` set in one line, generated glyphs in red among the target font's own in black
    (glyph cells side by side, as the generated images are placed); characters neither has
    are left as a grey box."""
    px = catalog.meta.glyph_px
    chars = [ch for ch in text if ch.isprintable()][:MAX_LINE_CHARS] or [" "]
    width = px * len(chars)
    black = np.zeros((px, width), np.uint8)
    red = np.zeros_like(black)
    boxes = []
    for n, ch in enumerate(chars):
        cp, x = ord(ch), n * px
        if cp in catalog.index:
            red[:, x : x + px] = catalog.generated(cp)
        elif (own := catalog.target(cp)) is not None:
            black[:, x : x + px] = own
        elif not ch.isspace():
            boxes.append(x)
    alpha_black = black[..., None].astype(np.float32) / 255.0
    alpha_red = red[..., None].astype(np.float32) / 255.0
    rgb = np.full((px, width, 3), 255.0, np.float32) * (1 - alpha_black)
    rgb = rgb * (1 - alpha_red) + np.asarray(HIGHLIGHT, np.float32) * alpha_red
    for x in boxes:  # a grey frame: a character neither font nor folder has
        inset = max(1, px // 8)
        rgb[inset : px - inset, x + inset : x + px - inset] = (200, 200, 200)
        rgb[2 * inset : px - 2 * inset, x + 2 * inset : x + px - 2 * inset] = 255
    image = Image.fromarray(np.rint(rgb).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
