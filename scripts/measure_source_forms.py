#!/usr/bin/env python3
"""Measure the source-choice facts of docs/few-shot.md on the real fonts.

Usage::

    python3 scripts/fetch_fonts.py --zoo
    python3 scripts/measure_source_forms.py [--glyph-px 64] [--out studies/few-shot/source-forms.json]

Counts, within the ``cjk`` charset (U+4E00-U+9FFF, U+3400-U+4DBF, drawn = non-empty outline):
what Noto Sans JP, Noto Sans TC and Zen Maru Gothic share, and how the default train/val
split (seed 0, val fraction 0.1) falls on each pairing. Then renders every character Noto
Sans TC and Noto Sans JP share at ``--glyph-px`` exactly as ``glyphrender build`` does (font
placement, 5% margin) and counts the characters whose two glyphs differ at ink IoU < 0.8
(ink = coverage >= 0.5, the eval's definition): the same design, so a low IoU means a
different character form (Traditional Chinese vs Japanese), not a different style. Last,
the copy-the-source baseline (L1 and ink IoU against Zen Maru Gothic, as eval scores it) of
each source on the val splits.

Exit codes: 0 measured, 1 a font is missing or unreadable (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from glyphrender.atomic import write_text_atomic
from glyphrender.dataset.splits import is_val
from glyphrender.errors import GlyphrenderError
from glyphrender.fonts.charsets import resolve_charset
from glyphrender.fonts.loading import LoadedFont, open_font, present_codepoints
from glyphrender.metrics import ink_iou
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

REPO_ROOT = Path(__file__).resolve().parent.parent
FONTS = REPO_ROOT / "fonts"
JP = "NotoSansJP_400Regular.ttf"
TC = "NotoSansTC_400Regular.ttf"
MARU = "ZenMaruGothic_400Regular.ttf"
IOU_DIFFERENT = 0.8
SEED, VAL_FRACTION = 0, 0.1  # glyphrender build's defaults


def render_all(font: LoadedFont, codepoints: list[int], glyph_px: int) -> np.ndarray:
    options = RenderOptions(glyph_px=glyph_px)
    transform = font_transform(em_box(font), glyph_px, options.margin)
    renderer = GlyphRenderer(font.sfnt_bytes, transform, options, name=str(font.path))
    return render_codepoints(renderer, codepoints)


def val_chars(chars: set[int]) -> set[int]:
    return {cp for cp in chars if is_val(cp, SEED, VAL_FRACTION)}


def copy_source_scores(
    loaded: dict[str, LoadedFont], val: dict[str, list[int]], glyph_px: int
) -> dict[str, dict[str, float]]:
    """Copy-the-source L1 and ink IoU against Zen Maru Gothic on named val character sets.

    ``val`` maps "SOURCE on WHAT" labels (SOURCE = JP or TC) to code points.
    """
    out = {}
    for label, chars in val.items():
        source = loaded[JP if label.startswith("JP") else TC]
        src = render_all(source, chars, glyph_px)
        dst = render_all(loaded[MARU], chars, glyph_px)
        l1 = np.abs(src.astype(np.float64) - dst).mean(axis=(1, 2)) / 255
        out[label] = {
            "glyphs": len(chars),
            "l1": round(float(l1.mean()), 4),
            "ink_iou": round(float(ink_iou(src, dst).mean()), 4),
        }
    return out


def measure(fonts: Path, glyph_px: int) -> dict[str, object]:
    cjk = resolve_charset("cjk").as_set()
    loaded = {name: open_font(fonts / name) for name in (JP, TC, MARU)}
    drawn = {name: set(present_codepoints(f)) & cjk for name, f in loaded.items()}
    jp_maru, tc_maru = drawn[JP] & drawn[MARU], drawn[TC] & drawn[MARU]
    tc_jp = sorted(drawn[TC] & drawn[JP])
    iou = ink_iou(render_all(loaded[TC], tc_jp, glyph_px), render_all(loaded[JP], tc_jp, glyph_px))
    differ = {cp for cp, v in zip(tc_jp, iou, strict=True) if v < IOU_DIFFERENT}
    jp_val, tc_val = sorted(val_chars(jp_maru)), sorted(val_chars(tc_maru))
    tc_val_differ = sorted(set(tc_val) & differ)
    copy_source = copy_source_scores(
        loaded,
        {
            "JP on JP->ZenMaru val": jp_val,
            "JP on TC->ZenMaru val": tc_val,
            "TC on TC->ZenMaru val": tc_val,
            "JP on TC val whose TC form differs": tc_val_differ,
            "TC on TC val whose TC form differs": tc_val_differ,
        },
        glyph_px,
    )
    return {
        "charset": "cjk",
        "glyph_px": glyph_px,
        "drawn": {name: len(chars) for name, chars in drawn.items()},
        "shared": {
            "NotoSansJP & ZenMaruGothic": len(jp_maru),
            "NotoSansTC & ZenMaruGothic": len(tc_maru),
            "NotoSansTC & NotoSansJP": len(tc_jp),
            "ZenMaruGothic drawn by JP but not TC": len(jp_maru - drawn[TC]),
        },
        "to_generate_for_ZenMaru": {
            "JP draws, Zen Maru lacks": len(drawn[JP] - drawn[MARU]),
            "TC draws, Zen Maru lacks": len(drawn[TC] - drawn[MARU]),
            "JP then TC as fallback": len((drawn[JP] | drawn[TC]) - drawn[MARU]),
            "only TC has a source for": len(drawn[TC] - drawn[JP] - drawn[MARU]),
        },
        "val_split": {
            "seed": SEED,
            "val_fraction": VAL_FRACTION,
            "NotoSansJP->ZenMaru val": len(val_chars(jp_maru)),
            "NotoSansTC->ZenMaru val": len(val_chars(tc_maru)),
            "TC val is a subset of JP val": val_chars(tc_maru) <= val_chars(jp_maru),
        },
        "copy_source_vs_ZenMaru": copy_source,
        "forms_TC_vs_JP": {
            "iou_threshold": IOU_DIFFERENT,
            "compared": len(tc_jp),
            "differ": len(differ),
            "differ_fraction": round(len(differ) / len(tc_jp), 4),
            "iou_quartiles": [round(float(q), 4) for q in np.quantile(iou, [0.25, 0.5, 0.75])],
            "among TC->ZenMaru pairs": {
                "pairs": len(tc_maru),
                "source form differs from JP": len(differ & tc_maru),
                "val pairs": len(val_chars(tc_maru)),
                "val pairs whose source form differs": len(val_chars(differ & tc_maru)),
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fonts", type=Path, default=FONTS, help="font directory")
    parser.add_argument("--glyph-px", type=int, default=64, help="canvas size (default: 64)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    try:
        facts = measure(args.fonts, args.glyph_px)
    except GlyphrenderError as exc:
        print(f"measure_source_forms: error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(facts, indent=2, ensure_ascii=False) + "\n"
    print(text, end="")
    if args.out is not None:
        write_text_atomic(args.out, text, "the measurements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
