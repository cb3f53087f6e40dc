"""Evaluating a generator on a paired split, beside two baselines, and writing the report.

Every character is scored three ways against its target glyph: the model's output, the source
glyph copied unchanged (``copy_source``) and an empty page (``blank``). The baselines matter:
between similar designs (sans -> rounded sans) copying the source already scores close to
published model numbers, so a model figure means little without them.

The model is scored on its float output mapped to [0, 1] (before rounding to uint8); targets
and baselines are the uint8 shard images mapped the same way.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from glyphrender.atomic import write_bytes_atomic
from glyphrender.dataset.shards import GlyphBatch

from zi2zi_core.evaluation.compare import PER_GLYPH_NAME
from zi2zi_core.evaluation.generate import iter_generated
from zi2zi_core.evaluation.metric_names import GLYPH_METRICS, higher_is_better
from zi2zi_core.evaluation.metrics import glyph_metrics
from zi2zi_core.evaluation.review import ReviewRow, review_sheet
from zi2zi_core.models.imaging import from_model, to_unit, unit_from_coverage

SYSTEMS: tuple[str, ...] = ("model", "copy_source", "blank")
SUMMARY_NAME = "metrics.json"  # the eval summary (not the run's metrics.jsonl log)
REVIEW_NAME = "review.png"


def score_batch(
    generated: torch.Tensor, source_u8: torch.Tensor, target_u8: torch.Tensor
) -> dict[str, dict[str, torch.Tensor]]:
    """Per-glyph metrics of the model and both baselines for one batch.

    ``generated`` is generator output in [-1, 1], (B, 1, H, W) or (B, H, W); ``source_u8`` and
    ``target_u8`` are (B, H, W) uint8 coverage. Returns system -> metric -> (B,) float64.
    """
    target = unit_from_coverage(target_u8).reshape(len(target_u8), 1, *target_u8.shape[-2:])
    predictions = {
        "model": to_unit(generated).reshape(target.shape),
        "copy_source": unit_from_coverage(source_u8).reshape(target.shape),
        "blank": torch.zeros_like(target),
    }
    return {name: glyph_metrics(pred, target) for name, pred in predictions.items()}


@dataclass(frozen=True)
class EvalResult:
    """Per-glyph scores of one split: system -> metric -> (N,) array, with the glyphs scored."""

    codepoint: np.ndarray  # (N,) uint32
    style: np.ndarray  # (N,) int64
    scores: dict[str, dict[str, np.ndarray]]
    source: np.ndarray  # (N, H, W) uint8
    generated: np.ndarray  # (N, H, W) uint8, the model output rounded as ``generate`` writes it
    target: np.ndarray  # (N, H, W) uint8

    @property
    def count(self) -> int:
        return len(self.codepoint)

    def averages(self, mask: np.ndarray | None = None) -> dict[str, dict[str, float]]:
        """Mean of every metric per system (over ``mask`` if given)."""
        return {
            system: {
                name: float(values[mask].mean() if mask is not None else values.mean())
                for name, values in metrics.items()
            }
            for system, metrics in self.scores.items()
        }

    def ranked(self, metric: str = "l1", system: str = "model") -> np.ndarray:
        """Glyph indices from worst to best by one metric of one system (ties by code point)."""
        values = self.scores[system][metric]
        key = -values if higher_is_better(metric) else values
        # lexsort sorts by the last key first: worst (largest key) first, then code point
        return np.lexsort((self.codepoint, -key))


def evaluate(
    generator: torch.nn.Module,
    batch: GlyphBatch,
    batch_size: int,
    device: torch.device | str,
    on_done: Callable[[int], None] | None = None,
) -> EvalResult:
    """Score the generator and the baselines on every glyph of a paired batch
    (``on_done(glyphs so far)`` after each generator batch)."""
    if batch.target is None:
        raise ValueError("evaluation needs a paired split (with target images)")
    n = len(batch)
    styles = batch.style.astype(np.int64)
    generated = np.zeros_like(batch.source)
    parts: list[dict[str, dict[str, torch.Tensor]]] = []
    batches = iter_generated(generator, batch.source, styles, batch_size, device, on_done)
    for start, fake in batches:
        stop = start + len(fake)
        generated[start:stop] = from_model(fake[:, 0]).numpy()
        parts.append(
            score_batch(
                fake,
                torch.from_numpy(batch.source[start:stop]),
                torch.from_numpy(batch.target[start:stop]),
            )
        )
    scores = {
        system: {
            name: (
                torch.cat([p[system][name] for p in parts]).numpy()
                if parts
                else np.zeros(0, np.float64)
            )
            for name in GLYPH_METRICS
        }
        for system in SYSTEMS
    }
    assert all(len(v) == n for m in scores.values() for v in m.values())
    return EvalResult(
        codepoint=batch.codepoint.astype(np.uint32),
        style=styles,
        scores=scores,
        source=batch.source,
        generated=generated,
        target=batch.target,
    )


def summary(result: EvalResult, info: dict[str, Any]) -> dict[str, Any]:
    """The content of ``metrics.json``: ``info`` (checkpoint, step, split...) plus averages."""
    per_style = {
        str(style): {"count": int((result.style == style).sum())}
        | result.averages(result.style == style)
        for style in np.unique(result.style)
    }
    return {
        **info,
        "count": result.count,
        "metrics": list(GLYPH_METRICS),
        "systems": result.averages() if result.count else {},
        "per_style": per_style,
        "definitions": {
            "scale": "ink coverage in [0, 1] (0 paper, 1 full ink)",
            "l1": "mean absolute difference",
            "rmse": "root mean squared difference",
            "ssim": "Wang et al. 2004, Gaussian window 11 sigma 1.5, K1 0.01, K2 0.03, "
            "data range 1, valid filtering (no padding), mean over the map",
            "ink_iou": "IoU of pixels with coverage >= 0.5; 1 when both images are blank",
            "copy_source": "baseline: the source glyph unchanged",
            "blank": "baseline: an empty page",
        },
        "files": {"per_glyph": PER_GLYPH_NAME, "review": REVIEW_NAME},
    }


def per_glyph_csv(result: EvalResult) -> str:
    """One row per glyph: code point, character, style, every metric of every system."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = [f"{system}_{name}" for system in SYSTEMS for name in GLYPH_METRICS]
    writer.writerow(["codepoint", "char", "style", *columns])
    for i, cp in enumerate(result.codepoint):
        values = [
            f"{result.scores[system][name][i]:.6f}" for system in SYSTEMS for name in GLYPH_METRICS
        ]
        writer.writerow([f"U+{int(cp):04X}", chr(int(cp)), int(result.style[i]), *values])
    return buffer.getvalue()


def _label(result: EvalResult, i: int) -> str:
    s = result.scores["model"]
    return (
        f"U+{int(result.codepoint[i]):04X}  style {int(result.style[i])}\n"
        f"L1 {s['l1'][i]:.3f} SSIM {s['ssim'][i]:.3f} IoU {s['ink_iou'][i]:.2f}"
    )


def review_image(result: EvalResult, rank_by: str = "l1", per_section: int = 8):
    """A sheet of the ``per_section`` worst and best glyphs by the model's ``rank_by``."""
    order = result.ranked(rank_by)
    k = min(per_section, (len(order) + 1) // 2)
    worst = order[:k]
    best = order[::-1][: min(per_section, len(order) - k)]

    def rows(indices: Sequence[int]) -> list[ReviewRow]:
        return [
            ReviewRow(_label(result, i), result.source[i], result.generated[i], result.target[i])
            for i in indices
        ]

    return review_sheet(
        [
            (f"worst {len(worst)} by model {rank_by}", rows(worst)),
            (f"best {len(best)} by model {rank_by}", rows(best)),
        ]
    )


def write_report(
    out_dir: str | os.PathLike[str],
    result: EvalResult,
    info: dict[str, Any],
    rank_by: str = "l1",
) -> dict[str, Any]:
    """Write metrics.json, per_glyph.csv and review.png (each through a temporary name).

    Returns the summary written to metrics.json. Files of an earlier evaluation in the same
    folder are replaced; nothing else there is touched.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    content = summary(result, info)
    write_bytes_atomic(out / PER_GLYPH_NAME, per_glyph_csv(result).encode("utf-8"))
    if result.count:
        png = io.BytesIO()
        review_image(result, rank_by).save(png, format="PNG")
        write_bytes_atomic(out / REVIEW_NAME, png.getvalue())
    # metrics.json last: its presence says the other files are complete
    text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    write_bytes_atomic(out / SUMMARY_NAME, text.encode("utf-8"))
    return content


def format_table(averages: dict[str, dict[str, float]]) -> str:
    """A small fixed-width table: one line per system, one column per metric."""
    header = f"{'system':<12}" + "".join(f"{name:>10}" for name in GLYPH_METRICS)
    lines = [header]
    for system, values in averages.items():
        lines.append(f"{system:<12}" + "".join(f"{values[name]:>10.4f}" for name in GLYPH_METRICS))
    return "\n".join(lines)
