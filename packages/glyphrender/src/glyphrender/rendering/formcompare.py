"""The form oracle's rendered half: outline comparison of two faces, and which of two faces a
target font's glyphs are closer to.

Glyphs are drawn as a dataset build draws them (each font's own em-box transform, the default
margin and placement) at ``FORM_GLYPH_PX`` and compared by ink IoU (``glyphrender.metrics``).
:func:`compare_forms` puts the oracle together: glyph identity when the two faces share one
glyph table (``glyphrender.fonts.forms``), outline IoU otherwise, and optionally a target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glyphrender.fonts.charsets import Charset
from glyphrender.fonts.forms import (
    METHOD_IDENTITY,
    METHOD_OUTLINE,
    FormLists,
    compare_by_identity,
    presence,
    shares_glyph_set,
)
from glyphrender.fonts.loading import FaceInfo, LoadedFont, present_codepoints
from glyphrender.metrics import ink_iou
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

FORM_GLYPH_PX = 64
# Below this ink IoU at 64 px two glyphs count as different forms. Calibrated on Noto Sans TC
# (TTF) against the JP and TC faces of Noto Sans CJK, whose exact answer glyph identity gives:
# see docs/forms.md ("outline comparison").
DEFAULT_THRESHOLD = 0.95
FORMS_FORMAT = "glyphrender-forms/1"


def render_as_dataset(font: LoadedFont, codepoints: Sequence[int], glyph_px: int) -> np.ndarray:
    """(N, px, px) uint8: ``codepoints`` drawn as ``glyphrender build`` draws this font."""
    options = RenderOptions(glyph_px=glyph_px)
    transform = font_transform(em_box(font), glyph_px, options.margin)
    renderer = GlyphRenderer(font.sfnt_bytes, transform, options, name=str(font.ref))
    return render_codepoints(renderer, [int(cp) for cp in codepoints])


def compare_by_outline(
    a: LoadedFont, b: LoadedFont, both: Sequence[int], glyph_px: int, threshold: float
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(same, different) among ``both``: ink IoU of the rendered glyphs >= ``threshold``."""
    iou = ink_iou(render_as_dataset(a, both, glyph_px), render_as_dataset(b, both, glyph_px))
    same = tuple(cp for cp, v in zip(both, iou.tolist(), strict=True) if v >= threshold)
    different = tuple(cp for cp, v in zip(both, iou.tolist(), strict=True) if v < threshold)
    return same, different


@dataclass(frozen=True)
class Closeness:
    """For the characters a target draws whose a/b forms differ: which face it is closer to."""

    target: FaceInfo
    glyph_px: int
    closer_to_a: tuple[int, ...]
    closer_to_b: tuple[int, ...]
    ties: tuple[int, ...]  # equal ink IoU with both

    def to_dict(self) -> dict[str, Any]:
        considered = len(self.closer_to_a) + len(self.closer_to_b) + len(self.ties)
        return {
            **self.target.to_dict(),
            "glyph_px": self.glyph_px,
            "drawn_with_different_forms": considered,
            "closer_to_a": len(self.closer_to_a),
            "closer_to_b": len(self.closer_to_b),
            "ties": len(self.ties),
        }


def closer_face(
    target: LoadedFont, a: LoadedFont, b: LoadedFont, different: Sequence[int], glyph_px: int
) -> Closeness:
    """Which of ``a`` and ``b`` each of the ``different`` characters the target draws is
    closer to, by ink IoU with the target's glyph."""
    drawn = sorted(present_codepoints(target, different))
    image = render_as_dataset(target, drawn, glyph_px)
    iou_a = ink_iou(image, render_as_dataset(a, drawn, glyph_px)).tolist()
    iou_b = ink_iou(image, render_as_dataset(b, drawn, glyph_px)).tolist()
    pairs = list(zip(drawn, iou_a, iou_b, strict=True))
    return Closeness(
        target=FaceInfo.of(target),
        glyph_px=glyph_px,
        closer_to_a=tuple(cp for cp, ja, jb in pairs if ja > jb),
        closer_to_b=tuple(cp for cp, ja, jb in pairs if jb > ja),
        ties=tuple(cp for cp, ja, jb in pairs if ja == jb),
    )


@dataclass(frozen=True)
class FormsReport:
    """What ``glyphrender forms`` prints and writes to forms.json."""

    a: FaceInfo
    b: FaceInfo
    charset: Charset
    lists: FormLists
    closeness: Closeness | None

    def to_dict(self) -> dict[str, Any]:
        lists = self.lists
        out: dict[str, Any] = {
            "format": FORMS_FORMAT,
            "charset": self.charset.to_dict(),
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "method": lists.method,
            "threshold": lists.threshold,
            "glyph_px": lists.glyph_px,
            "counts": lists.counts(),
            "same": list(lists.same),
            "different": list(lists.different),
            "missing_in_a": list(lists.missing_in_a),
            "missing_in_b": list(lists.missing_in_b),
            "target": None,
        }
        if self.closeness is not None:
            out["target"] = self.closeness.to_dict()
            out["target_closer_to_a"] = list(self.closeness.closer_to_a)
            out["target_closer_to_b"] = list(self.closeness.closer_to_b)
            out["target_ties"] = list(self.closeness.ties)
        return out


def compare_forms(
    a: LoadedFont,
    b: LoadedFont,
    charset: Charset,
    target: LoadedFont | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    glyph_px: int = FORM_GLYPH_PX,
) -> FormsReport:
    """The form oracle over ``charset``: glyph identity when ``a`` and ``b`` share a glyph
    table, else outline IoU at ``glyph_px`` against ``threshold``; with a ``target``, which
    face its glyphs of the differing characters are closer to."""
    split = presence(a, b, charset.codepoints)
    if shares_glyph_set(a, b):
        same, different = compare_by_identity(a, b, split.both)
        lists = FormLists(METHOD_IDENTITY, same, different, split.missing_in_a, split.missing_in_b)
    else:
        same, different = compare_by_outline(a, b, split.both, glyph_px, threshold)
        lists = FormLists(
            METHOD_OUTLINE,
            same,
            different,
            split.missing_in_a,
            split.missing_in_b,
            threshold=threshold,
            glyph_px=glyph_px,
        )
    closeness = None if target is None else closer_face(target, a, b, different, glyph_px)
    return FormsReport(FaceInfo.of(a), FaceInfo.of(b), charset, lists, closeness)
