"""Comparing runs by what ``zi2zi eval`` and training wrote: per-glyph scores read back, means
over the whole split or a subset of its characters, the val curve, the characters two source
fonts draw in the same form, and a picture of several runs' glyphs side by side.

The studies under ``studies/`` build their tables and pictures from these; every path comes
from :class:`~zi2zi_core.rundir.layout.RunDir` and the eval writer's file names.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.metric_names import VAL_METRICS
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.rundir.metrics_log import read_metrics

# zi2zi eval's per-glyph table (evaluate.per_glyph_csv writes it under this name; defined here,
# beside its reader, so that reading it needs no torch).
PER_GLYPH_NAME = "per_glyph.csv"
COMPARED = ("l1", "ssim", "ink_iou")  # the metrics the study tables show
SYSTEMS = ("model", "copy_source")
SAME_FORM_IOU = 0.8  # ink IoU at or above which two fonts draw a character in the same form

PerGlyph = dict[int, dict[str, float]]


def read_per_glyph(
    run: str | os.PathLike[str], checkpoint: str = "last", split: str = "val"
) -> PerGlyph:
    """code point -> that glyph's row of ``zi2zi eval --checkpoint CHECKPOINT --split SPLIT``
    (every ``<system>_<metric>`` column as a float). Raises :class:`Zi2ziError` naming the
    file when it is missing or not an eval table."""
    path = RunDir(run).eval_report_dir(checkpoint, split) / PER_GLYPH_NAME
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return {
                int(row["codepoint"][2:], 16): {
                    k: float(v) for k, v in row.items() if k not in ("codepoint", "char", "style")
                }
                for row in csv.DictReader(f)
            }
    except OSError as exc:
        raise Zi2ziError(f"{path}: cannot read the eval table ({exc.strerror})") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise Zi2ziError(f"{path}: not a zi2zi eval per_glyph.csv ({exc})") from None


def subset_means(rows: PerGlyph, keep: Iterable[int] | None = None) -> dict[str, Any]:
    """``{"count": n, "model": {metric: mean}, "copy_source": {...}}`` over the code points in
    ``keep`` (all rows when None)."""
    wanted = None if keep is None else set(keep)
    chosen = [r for cp, r in rows.items() if wanted is None or cp in wanted]
    out: dict[str, Any] = {"count": len(chosen)}
    for system in SYSTEMS:
        out[system] = {
            m: float(np.mean([r[f"{system}_{m}"] for r in chosen])) if chosen else float("nan")
            for m in COMPARED
        }
    return out


def val_curve(run: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The run's validations from its metrics.jsonl: step and every val metric logged."""
    return [
        {"step": rec["step"], **{m: rec.get(m) for m in VAL_METRICS}}
        for rec in read_metrics(run)
        if rec.get("kind") == "val"
    ]


def same_form(
    font_a: str | os.PathLike[str],
    font_b: str | os.PathLike[str],
    codepoints: Sequence[int],
    glyph_px: int,
    min_iou: float = SAME_FORM_IOU,
) -> set[int]:
    """The code points both fonts draw whose glyphs, rendered as ``glyphrender build`` does
    (font placement, default margin), have ink IoU >= ``min_iou``: the same character form
    (e.g. Noto Sans TC and Noto Sans JP agree), not merely the same style."""
    from glyphrender.fonts.loading import open_font, present_codepoints
    from glyphrender.rendering.formcompare import compare_by_outline

    fonts = [open_font(str(font_a)), open_font(str(font_b))]  # str keeps a "path#N" face
    shared = sorted(set(codepoints).intersection(*(present_codepoints(f) for f in fonts)))
    same, _different = compare_by_outline(fonts[0], fonts[1], shared, glyph_px, min_iou)
    return set(same)


def spread_pick(codepoints: np.ndarray, count: int) -> np.ndarray:
    """Indices of ``count`` entries spread evenly over ``codepoints`` in code-point order."""
    order = np.argsort(codepoints)
    return order[np.linspace(0, len(order) - 1, count).round().astype(int)]


def side_by_side(rows: Sequence[tuple[str, np.ndarray]], gap: int = 2, label_w: int = 150):
    """A PIL image with one labelled row per (label, (N, H, W) uint8 coverage), ink dark on
    white: e.g. the source, the target, then each run's generator on the same characters."""
    n, px = rows[0][1].shape[:2]
    sheet = Image.new("L", (label_w + n * (px + gap), len(rows) * (px + gap) + gap), 255)
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default()
    for r, (label, images) in enumerate(rows):
        y = gap + r * (px + gap)
        draw.text((4, y + px // 2 - 6), label, fill=0, font=font)
        for i, img in enumerate(images):
            x = label_w + i * (px + gap)
            sheet.paste(Image.fromarray(255 - img), (x, y))
            draw.rectangle((x - 1, y - 1, x + px, y + px), outline=200)
    return sheet


def run_glyphs(run: str | os.PathLike[str], checkpoint: str, sources: np.ndarray) -> np.ndarray:
    """The run's EMA generator (style 0, on the CPU) on (N, H, W) uint8 sources, as uint8."""
    from zi2zi_core.evaluation.generate import SourceGlyphs, generate_images
    from zi2zi_core.rundir.checkpoint import load_for_inference

    bundle = load_for_inference(Path(run), checkpoint, "cpu")
    glyphs = SourceGlyphs(np.zeros(len(sources), np.uint32), sources, 0)
    return generate_images(bundle.generator, glyphs, 64, "cpu")
