"""Build from the real fonts (Noto Sans TC -> Zen Maru Gothic) and check the counts against an
independent fontTools analysis of the two fonts' cmaps and outlines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from glyphrender.dataset.build import BuildConfig, build_dataset
from glyphrender.dataset.rerender import render_for_dataset
from glyphrender.dataset.shards import Dataset
from glyphrender.fonts.loading import FontRef
from glyphrender.rendering.render import RenderOptions
from realfonts import real_font


def drawn_cjk(path: Path) -> set[int]:
    """CJK code points (U+4E00-9FFF, U+3400-4DBF) mapped to a glyph with contours."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), lazy=True)
    glyf = font["glyf"]
    out = set()
    for cp, name in font.getBestCmap().items():
        if not (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF) or name == ".notdef":
            continue
        coords, _, _ = glyf[name].getCoordinates(glyf)
        if len(coords):
            out.add(cp)
    return out


def test_full_cjk_build_counts_and_rerender(tmp_path):
    src = real_font("NotoSansTC_400Regular.ttf")
    dst = real_font("ZenMaruGothic_400Regular.ttf")
    result = build_dataset(
        BuildConfig(FontRef(src), (FontRef(dst),), out=tmp_path / "ds", render=RenderOptions(32))
    )
    a, b = drawn_cjk(src), drawn_cjk(dst)
    ds = Dataset.open(result.out)
    assert ds.count("train") + ds.count("val") == len(a & b) == 6046
    assert ds.count("missing") == len(a - b) == 9912
    val = ds.read_split("val")
    assert set(val.codepoint) <= (a & b) and 0.08 < len(val) / 6046 < 0.12
    assert result.manifest.clipped_count == 0
    np.testing.assert_array_equal(
        render_for_dataset(ds, val.codepoint[:50], role="target"), val.target[:50]
    )
