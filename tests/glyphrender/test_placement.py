"""Placement: where font units land on the canvas, for font and centre placement."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from fontfactory import make_font as _make_font
from fontTools.ttLib import TTFont
from glyphrender.fonts.loading import open_font
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions


def make_font(path, glyphs, **kwargs):
    """fontfactory's font with hmtx left side bearings equal to each glyph's xMin, as in real
    fonts: FreeType (like every TrueType rasteriser) moves a glyph so its xMin sits at the lsb,
    and fontfactory writes lsb 0 for every glyph."""
    path = _make_font(path, glyphs, **kwargs)
    font = TTFont(str(path))
    if "glyf" in font:
        glyf, hmtx = font["glyf"], font["hmtx"]
        for name in font.getGlyphOrder():
            advance, _ = hmtx[name]
            hmtx[name] = (advance, getattr(glyf[name], "xMin", 0))
        font.save(str(path))
    return path


PX = 100  # 0.05 margin -> 5 px each side; UPM 1000 -> 0.09 px per unit


def renderer(path, placement="font", margin=0.05, px=PX):
    font = open_font(path)
    t = font_transform(em_box(font), px, margin)
    return GlyphRenderer(font.sfnt_bytes, t, RenderOptions(px, placement, margin), name=str(path))


def ink_box(img):
    rows, cols = np.nonzero(img > 127)
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_em_box_uses_typo_metrics_spanning_the_em():
    m = SimpleNamespace(
        units_per_em=1000, typo_ascender=880, typo_descender=-120, ascender=1160, descender=-288
    )
    box = em_box(m)
    assert (box.top, box.bottom, box.source) == (880, -120, "typo")


def test_em_box_falls_back_to_hhea_scaled_to_the_em():
    m = SimpleNamespace(
        units_per_em=2048, typo_ascender=1500, typo_descender=-400, ascender=1900, descender=-500
    )
    box = em_box(m)
    assert box.source == "hhea"
    assert box.top - box.bottom == pytest.approx(2048)
    assert box.top / box.bottom == pytest.approx(1900 / -500)


def test_known_rectangle_lands_on_expected_pixels(tmp_path):
    # em box x 0..1000, y -120..880 -> canvas 5..95; scale 0.09 px/unit; y_offset = 5 + 880*0.09
    path = make_font(tmp_path / "r.ttf", {0x4E00: [(100, 0, 600, 500)]})
    r = renderer(path)
    assert r.transform.scale == pytest.approx(0.09)
    img, outside = r.render(0x4E00)
    assert outside == 0
    x0, x1 = 5 + 100 * 0.09, 5 + 600 * 0.09  # 14.0 .. 59.0
    y0, y1 = 5 + (880 - 500) * 0.09, 5 + 880 * 0.09  # 39.2 .. 84.2
    top, bottom, left, right = ink_box(img)
    assert (left, right) == (14, 58)  # columns fully covered between 14.0 and 59.0
    assert (top, bottom) == (int(np.ceil(y0 - 0.5)), int(np.floor(y1 - 0.5)))
    # total ink equals the rectangle's area in pixels (anti-aliased coverage integrates)
    assert img.sum() / 255 == pytest.approx((x1 - x0) * (y1 - y0), rel=0.01)
    # round trip through the transform: the ink box's corners map back to the rectangle
    corners = r.transform.to_font_units(np.array([[x0, y1], [x1, y0]]))
    np.testing.assert_allclose(corners, [[100, 0], [600, 500]], atol=1e-6)


def test_em_box_fills_canvas_minus_margin(tmp_path):
    path = make_font(tmp_path / "em.ttf", {0x4E00: [(0, -120, 1000, 880)]})
    img, outside = renderer(path).render(0x4E00)
    assert outside == 0
    assert ink_box(img) == (5, 94, 5, 94)
    assert img[5:95, 5:95].min() == 255 and img.sum() == 255 * 90 * 90


def test_relative_size_is_kept(tmp_path):
    small = [(400, 300, 600, 500)]
    big = [(100, 0, 900, 800)]
    path = make_font(tmp_path / "s.ttf", {0x4E00: small, 0x4E01: big})
    r = renderer(path)
    a, b = r.render(0x4E00)[0], r.render(0x4E01)[0]
    assert b.sum() / a.sum() == pytest.approx(16, rel=0.02)  # 800^2 / 200^2


def test_center_placement_centres_ink_at_the_same_scale(tmp_path):
    path = make_font(tmp_path / "c.ttf", {0x4E00: [(0, 600, 200, 800)]})  # a top-left square
    font_img = renderer(path).render(0x4E00)[0]
    img = renderer(path, placement="center").render(0x4E00)[0]
    assert img.sum() == pytest.approx(font_img.sum(), rel=0.01)  # same scale: same ink
    top, bottom, left, right = ink_box(img)
    assert (top + bottom) / 2 == pytest.approx(PX / 2 - 0.5, abs=0.6)
    assert (left + right) / 2 == pytest.approx(PX / 2 - 0.5, abs=0.6)
    assert ink_box(font_img)[2] < 10  # while font placement keeps it at the left


def test_ink_off_the_canvas_is_counted_not_dropped_silently(tmp_path):
    path = make_font(
        tmp_path / "big.ttf", {0x4E00: [(-300, 0, 500, 500)], 0x4E01: [(100, 0, 500, 500)]}
    )
    r = renderer(path)
    img, outside = r.render(0x4E00)
    # x from -300*0.09+5 = -22 px: 22 columns of ~45 rows are off the canvas
    assert outside == pytest.approx(22 * 46, rel=0.1)
    assert img[:, 0].max() == 255  # the visible part is still drawn
    assert r.render(0x4E01)[1] == 0
